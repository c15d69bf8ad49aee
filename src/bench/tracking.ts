// The tracker's cost per frame (tracking/camera-objects.ts: Kalman predict, two-stage
// optimal association, events), with 10 and 100 objects moving across a 1920x1080 frame
// with detector noise, a few missed detections and low-score ones. Pure CPU on the main
// thread, where the daemon runs it for every result.
import { CameraObjects } from '../tracking/camera-objects.js'
import { TrackSchema } from '../config/schema.js'
import type { DetectedObject, InferenceResult } from '../runtime/types.js'
import { median, type BenchFigure, type BenchOptions, type BenchRunner } from './types.js'

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32
}

/** `frames` results of `n` objects on straight paths at 10 fps, boxes jittered by 1-2 px. */
function scene(n: number, frames: number, seed: number): InferenceResult[] {
  const r = rng(seed)
  const objs = Array.from({ length: n }, () => ({
    x: r() * 1800,
    y: r() * 1000,
    vx: (r() - 0.5) * 200,
    vy: (r() - 0.5) * 120,
    s: 30 + r() * 90,
    cls: Math.floor(r() * 5),
  }))
  const out: InferenceResult[] = []
  for (let f = 0; f < frames; f++) {
    const objects: DetectedObject[] = []
    const low: DetectedObject[] = []
    for (const o of objs) {
      o.x = (o.x + o.vx * 0.1 + 1920) % 1920
      o.y = (o.y + o.vy * 0.1 + 1080) % 1080
      const roll = r()
      if (roll < 0.05) continue // missed
      const j = () => (r() - 0.5) * 3
      const box: [number, number, number, number] = [o.x + j(), o.y + j(), o.x + o.s + j(), o.y + o.s + j()]
      const d = { label: `c${o.cls}`, class: o.cls, score: roll < 0.12 ? 0.25 : 0.9, box }
      ;(d.score < 0.35 ? low : objects).push(d)
    }
    out.push({
      camera: 'bench',
      frameSeq: f,
      pts: f / 10,
      ts: 1_000_000 + f * 100,
      frame: { width: 1920, height: 1080 },
      model: 'bench',
      inference_ms: 1,
      objects,
      low,
    })
  }
  return out
}

function msPerFrame(n: number, seed: number): number {
  const results = scene(n, 600, seed)
  const objects = new CameraObjects('bench', 'dev', TrackSchema.parse({}), (id) => id, null)
  const t0 = performance.now()
  for (const r of results) objects.changes(r, objects.track(r))
  return (performance.now() - t0) / results.length
}

export const run: BenchRunner = async ({ quick, log }: BenchOptions) => {
  const figures: BenchFigure[] = []
  for (const [n, goal] of [
    [10, 0.3],
    [100, 3],
  ] as const) {
    log(`tracker, ${n} objects`)
    msPerFrame(n, 1) // warm the JIT
    const runs = Array.from({ length: quick ? 2 : 5 }, (_, i) => msPerFrame(n, 100 + i))
    const value = median(runs)
    figures.push({
      name: `tracker + events per frame, ${n} objects (600 frames at 10 fps)`,
      value,
      unit: 'ms',
      goal: `< ${goal} ms`,
      met: value < goal,
      runs,
    })
    await new Promise((r) => setImmediate(r))
  }
  return {
    id: 'tracking',
    title: 'Tracking (tracker and events, main thread)',
    figures,
    notes: [
      'Synthetic scene: objects on straight paths at 10 fps with 1-2 px box noise, 5 % missed and 7 % low-score detections; the first association is an n x n optimal assignment.',
    ],
  }
}
