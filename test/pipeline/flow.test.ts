// Flow control between a camera and its consumer (camera.ts, bin/edgewatch-gst-child.py):
// a file read flat out decodes exactly the frames the consumer takes, once per loop, in
// one child; a live source that offers more than the consumer takes drops its surplus at
// the gate in front of the scaler, so the pipe carries only frames that are used.
import t from 'tap'
import { CameraManager } from '../../src/pipeline/camera-manager.js'
import { createLogger } from '../../src/log/logger.js'
import { redact } from '../../src/log/redact.js'
import type { Frame } from '../../src/pipeline/frame.js'
import { tempDir } from '../harness/tmp.js'
import { camera, makeClip, until } from './helpers.js'
import type { CameraConfig } from '../../src/config/schema.js'

/** A manager whose consumer holds each frame `holdMs` before releasing it, like the runtime's slot. */
function slowConsumer(
  t: { teardown(fn: () => unknown): void },
  cameras: Record<string, CameraConfig>,
  holdMs: number,
) {
  const frames: Array<{ pts: number | null; at: number }> = []
  const manager = new CameraManager({
    cameras,
    defaultMaxFps: 100,
    target: { width: 160, height: 160 },
    log: createLogger({ level: 'warn', redact }),
    flowControl: true,
    onFrame: (f: Frame) => {
      frames.push({ pts: f.pts, at: Date.now() })
      setTimeout(() => f.release?.(), holdMs)
    },
  })
  t.teardown(() => manager.stop())
  return { manager, frames }
}

/** Splits pts values into loops where the position jumps back. */
function loops(pts: number[]): number[][] {
  const out: number[][] = [[]]
  pts.forEach((p, i) => {
    if (i > 0 && p < pts[i - 1]!) out.push([])
    out.at(-1)!.push(p)
  })
  return out
}

t.test(
  'realtime: false, looped: every frame exactly once per loop, one child, nothing dropped',
  async (t) => {
    const clip = makeClip(tempDir(t), 3, 20)
    const r = slowConsumer(t, { batch: camera({ url: `file://${clip}`, realtime: false, loop: true }) }, 3)
    await r.manager.start()
    await until('three whole loops', () => loops(r.frames.map((f) => f.pts!)).length >= 4, 60_000)
    const all = loops(r.frames.map((f) => Math.round(f.pts! * 20)))
    const whole = Array.from({ length: 60 }, (_, i) => i)
    for (const [i, l] of all.slice(0, 3).entries()) t.same(l, whole, `loop ${i + 1}: frames 0..59, each once`)
    const st = r.manager.status().batch!
    t.equal(st.restarts, 0, 'the loop seeks back: no new child at the end of the file')
    t.equal(st.frames.dropped, 0, 'nothing decoded and thrown away')
    t.equal(st.frames.skipped, 0, 'nothing skipped: the file waits for the consumer')
    t.equal(st.frames.received, st.frames.delivered, 'every frame piped was delivered')
  },
)

t.test('a live source over capacity drops its surplus before the scaler, and stays live', async (t) => {
  const r = slowConsumer(
    t,
    {
      live: camera({
        pipeline: 'videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1',
        max_fps: 30,
      }),
    },
    150,
  )
  await r.manager.start()
  await until('frames flowing', () => r.frames.length >= 2, 30_000)
  const start = { at: Date.now(), received: r.manager.status().live!.frames.received }
  await until('four seconds of frames', () => Date.now() - start.at >= 4000, 10_000)
  const st = r.manager.status().live!
  const seconds = (Date.now() - start.at) / 1000
  const received = st.frames.received - start.received
  t.ok(
    received / seconds < 10,
    `the pipe carried about what the consumer took: ${(received / seconds).toFixed(1)}/s of 30/s offered`,
  )
  t.ok(
    st.frames.skipped > 30 * seconds * 0.5,
    `the gate in front of the scaler dropped the surplus: ${st.frames.skipped} frames`,
  )
  t.equal(st.frames.dropped, 0, 'none scaled and converted only to be dropped after the pipe')
  t.equal(st.frames.received, st.frames.delivered, 'every frame piped was delivered')
  // Live: a delivered frame is a current one, not one that waited in a queue.
  const first = r.frames.find((f) => f.at >= start.at)!
  const last = r.frames.at(-1)!
  const drift = Math.abs(last.pts! - first.pts! - (last.at - first.at) / 1000)
  t.ok(drift < 0.5, `stream time keeps pace with the clock: drift ${drift.toFixed(3)} s`)
  t.equal(st.restarts, 0, 'no stall restarts while the consumer holds frames')
})
