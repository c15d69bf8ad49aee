// Ingest benchmark: what one camera's gst-launch child costs, and how fast frames cross
// the pipe. Test clips are made at bench time from opencv-doc's vtest.avi (a real
// surveillance scene) scaled to 720p and 1080p, H.264 at 15 fps; the ingest decodes them
// with CPU decoders (avdec_h264) and scales them to fit 416x416, as the daemon would.
//   CPU s per s of video: utime+stime of the child (/proc/<pid>/stat) between its first
//   and last frame, over the stream time (pts) between them, realtime: true.
//   Pipe throughput: realtime: false (as fast as decoding allows), MB/s of RGB frames
//   handed to onFrame, and the daemon-side CPU it took to parse them.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CameraManager } from '../pipeline/camera-manager.js'
import { CameraSchema } from '../config/schema.js'
import { createLogger } from '../log/logger.js'
import { redact } from '../log/redact.js'
import type { Frame } from '../pipeline/frame.js'
import { encodeMp4 } from './services.js'
import { childCpuSeconds } from './proc-cpu.js'
import { median, type BenchFigure, type BenchRunner } from './types.js'

const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi'
const TARGET = { width: 416, height: 416 }
const FPS = 15

function makeClip(dir: string, width: number, height: number, seconds: number): string {
  const file = path.join(dir, `clip-${height}p${FPS}.mp4`)
  const source = fs.existsSync(VTEST)
    ? ['filesrc', `location=${VTEST}`, '!', 'decodebin']
    : ['videotestsrc', 'pattern=ball']
  // Roughly what IP cameras send: 2 Mbit/s at 720p, 4 Mbit/s at 1080p, a key frame every 2 s.
  const kbps = height >= 1080 ? 4000 : 2000
  return encodeMp4(file, [
    ...source,
    '!',
    'videoconvert',
    '!',
    'videoscale',
    '!',
    'videorate',
    '!',
    `video/x-raw,format=I420,width=${width},height=${height},framerate=${FPS}/1`,
    '!',
    'identity',
    `eos-after=${seconds * FPS}`,
    '!',
    'x264enc',
    'speed-preset=veryfast',
    `bitrate=${kbps}`,
    `key-int-max=${2 * FPS}`,
    '!',
    'video/x-h264,profile=main',
    '!',
    'h264parse',
  ])
}

interface Run {
  childCpuPerVideoSecond: number
  mbPerSecond: number
  framesPerSecond: number
  nodeCpuPerVideoSecond: number
  frame: { width: number; height: number }
}

async function ingest(file: string, realtime: boolean): Promise<Run> {
  const log = createLogger({ level: 'warn', redact, destination: process.stderr })
  const seen: {
    first: { pts: number; cpu: number; wall: number; node: NodeJS.CpuUsage } | null
    last: Frame | null
  } = {
    first: null,
    last: null,
  }
  let bytes = 0
  let frames = 0
  let lastCpu = 0
  let pid = 0
  const manager = new CameraManager({
    cameras: {
      bench: CameraSchema.parse({ url: `file://${file}`, realtime, max_fps: realtime ? FPS : 240 }),
    },
    defaultMaxFps: FPS,
    target: TARGET,
    log,
    onFrame: (f) => {
      pid ||= manager.pids().bench ?? 0
      if (!pid) return
      try {
        lastCpu = childCpuSeconds(pid)
      } catch {
        return // the child is ending
      }
      if (!seen.first) {
        seen.first = { pts: f.pts ?? 0, cpu: lastCpu, wall: performance.now(), node: process.cpuUsage() }
        return
      }
      bytes += f.data.byteLength
      frames++
      seen.last = f
    },
  })
  await manager.start()
  const deadline = Date.now() + 300_000
  while (manager.status().bench?.state !== 'stopped' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50))
  }
  const wall = (performance.now() - (seen.first?.wall ?? 0)) / 1000
  const node = process.cpuUsage(seen.first?.node)
  await manager.stop()
  const f0 = seen.first
  const fl = seen.last
  if (!f0 || !fl || fl.pts === null) throw new Error(`no frames from ${file}`)
  const video = fl.pts - f0.pts
  return {
    childCpuPerVideoSecond: (lastCpu - f0.cpu) / video,
    mbPerSecond: bytes / 1e6 / wall,
    framesPerSecond: frames / wall,
    nodeCpuPerVideoSecond: (node.user + node.system) / 1e6 / video,
    frame: { width: fl.width, height: fl.height },
  }
}

/**
 * The pipe and parser alone: 416x416 RGB frames from videotestsrc (nothing to decode)
 * through gdppay, the pipe and the GDP parser into onFrame, for a fixed time.
 */
async function pipeCapacity(seconds: number): Promise<{ mbPerSecond: number; framesPerSecond: number }> {
  const log = createLogger({ level: 'error', redact, destination: process.stderr })
  let bytes = 0
  let frames = 0
  let start = 0
  const manager = new CameraManager({
    cameras: {
      synth: CameraSchema.parse({
        pipeline: `videotestsrc pattern=solid-color ! video/x-raw,format=RGB,width=${TARGET.width},height=${TARGET.height},framerate=240/1`,
        max_fps: 240,
      }),
    },
    defaultMaxFps: 240,
    target: TARGET,
    log,
    onFrame: (f) => {
      if (start === 0) start = performance.now()
      else {
        bytes += f.data.byteLength
        frames++
      }
    },
  })
  await manager.start()
  const deadline = Date.now() + 60_000
  while (start === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  await new Promise((r) => setTimeout(r, seconds * 1000))
  const wall = (performance.now() - start) / 1000
  const got = { bytes, frames }
  await manager.stop()
  return { mbPerSecond: got.bytes / 1e6 / wall, framesPerSecond: got.frames / wall }
}

export const run: BenchRunner = async ({ quick, log }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgewatch-bench-ingest-'))
  const seconds = quick ? 4 : 12
  const runs = quick ? 1 : 3
  const figures: BenchFigure[] = []
  let frameSize = ''
  try {
    const clips = [
      { name: '720p15', file: makeClip(dir, 1280, 720, seconds) },
      { name: '1080p15', file: makeClip(dir, 1920, 1080, seconds) },
    ]
    for (const clip of clips) {
      const cpu: number[] = []
      const nodeCpu: number[] = []
      for (let i = 0; i < runs; i++) {
        log(`ingest ${clip.name} realtime, run ${i + 1}/${runs}`)
        const r = await ingest(clip.file, true)
        cpu.push(r.childCpuPerVideoSecond)
        nodeCpu.push(r.nodeCpuPerVideoSecond)
        frameSize = `${r.frame.width}x${r.frame.height}`
      }
      const goal =
        clip.name === '1080p15' ? { goal: '< 0.25 (25 % of one core)', met: median(cpu) < 0.25 } : {}
      figures.push({
        name: `${clip.name} H.264 → ${frameSize} RGB: gst child CPU per second of video`,
        value: median(cpu),
        unit: 'CPU s/s',
        runs: cpu,
        ...goal,
      })
      figures.push({
        name: `${clip.name}: daemon-side CPU (pipe + GDP parse) per second of video`,
        value: median(nodeCpu),
        unit: 'CPU s/s',
        runs: nodeCpu,
      })
    }
    const mb: number[] = []
    const fps: number[] = []
    for (let i = 0; i < runs; i++) {
      log(`ingest 1080p15 realtime: false, run ${i + 1}/${runs}`)
      const r = await ingest(clips[1]!.file, false)
      mb.push(r.mbPerSecond)
      fps.push(r.framesPerSecond)
    }
    figures.push({
      name: `pipe throughput, 1080p decoded flat out → ${frameSize} frames`,
      value: median(mb),
      unit: 'MB/s',
      runs: mb,
    })
    figures.push({
      name: 'frames through the pipe, same run',
      value: median(fps),
      unit: 'frames/s',
      runs: fps,
    })
    const cap: number[] = []
    const capFps: number[] = []
    for (let i = 0; i < runs; i++) {
      log(`pipe capacity, run ${i + 1}/${runs}`)
      const r = await pipeCapacity(quick ? 2 : 5)
      cap.push(r.mbPerSecond)
      capFps.push(r.framesPerSecond)
    }
    figures.push({
      name: `pipe capacity: ${TARGET.width}x${TARGET.height} RGB frames, no decoding (videotestsrc)`,
      value: median(cap),
      unit: 'MB/s',
      runs: cap,
    })
    figures.push({ name: 'pipe capacity in frames', value: median(capFps), unit: 'frames/s', runs: capFps })
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
  return {
    id: 'ingest',
    title: 'Video ingest (gst-launch child per camera, CPU decoding)',
    figures,
    notes: [
      `Clips: opencv-doc vtest.avi (a real street scene) scaled and encoded at bench time with x264enc (veryfast, main profile, 2 Mbit/s at 720p, 4 Mbit/s at 1080p, key frame every 2 s), ${seconds} s each; every frame decoded (max_fps ${FPS}).`,
      'CPU s/s: utime+stime of the gst-launch child from /proc/<pid>/stat between its first and last frame, divided by the stream time (pts) between them; 1.0 = one core busy. realtime: true (paced like a camera).',
      'Throughput: realtime: false, decoding as fast as this machine allows (the decoder is the limit there); pipe capacity: frames made by videotestsrc at up to 240 fps, no decoding, through gdppay, the pipe and the GDP parser. The machine is shared with other jobs, so these drift between runs.',
    ],
  }
}
