// Shared bits of the ingest integration tests: a CameraManager that records frames and
// log lines, and bounded polling.
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { Writable } from 'node:stream'
import { CameraManager, type CameraManagerOptions } from '../../src/pipeline/camera-manager.js'
import { CameraSchema, type CameraConfig } from '../../src/config/schema.js'
import { createLogger } from '../../src/log/logger.js'
import { redact } from '../../src/log/redact.js'
import type { Frame } from '../../src/pipeline/frame.js'

interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

export function camera(over: Record<string, unknown>): CameraConfig {
  return CameraSchema.parse(over)
}

export interface Recorder {
  manager: CameraManager
  frames: Frame[]
  logs: Array<Record<string, unknown> & { msg: string }>
  framesOf(name: string): Frame[]
}

export function recordingManager(
  t: Teardown,
  cameras: Record<string, CameraConfig>,
  opts: Partial<CameraManagerOptions> = {},
): Recorder {
  const frames: Frame[] = []
  const logs: Recorder['logs'] = []
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n'))
        if (line) logs.push(JSON.parse(line) as Recorder['logs'][0])
      cb()
    },
  })
  const manager = new CameraManager({
    cameras,
    defaultMaxFps: 5,
    target: { width: 160, height: 160 },
    log: createLogger({ level: 'debug', redact, destination }),
    onFrame: (f) => {
      // Keep the pixels of the last few only: tests run for a while.
      if (frames.length > 20) frames[frames.length - 21]!.data = new Uint8Array(0)
      frames.push(f)
    },
    ...opts,
  })
  t.teardown(() => manager.stop())
  return { manager, frames, logs, framesOf: (name) => frames.filter((f) => f.camera === name) }
}

/** Polls `check` every 100 ms until it returns true; fails with `what` after timeoutMs. */
export async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Whether `pid` runs (a zombie waiting for a reaper counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** An H.264 MP4 of a moving ball, `seconds` × `fps` frames, written into `dir`. */
export function makeClip(dir: string, seconds: number, fps: number): string {
  const file = path.join(dir, 'clip.mp4')
  const r = spawnSync('gst-launch-1.0', [
    '-q',
    'videotestsrc',
    `num-buffers=${seconds * fps}`,
    'pattern=ball',
    '!',
    `video/x-raw,width=320,height=180,framerate=${fps}/1`,
    '!',
    'x264enc',
    'speed-preset=ultrafast',
    '!',
    'mp4mux',
    '!',
    'filesink',
    `location=${file}`,
  ])
  if (r.status !== 0) throw new Error(`cannot make test clip: ${r.stderr.toString()}`)
  return file
}
