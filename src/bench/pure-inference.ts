// Pure inference, as the throughput and end-to-end sections compare the daemon with it:
// one camera's frames back to back on the engine the daemon uses (preprocess, run,
// decode), no pipeline, no store.
import { resolveModelConfig } from '../config/load.js'
import { DetectSchema } from '../config/schema.js'
import { DetectorEngine } from '../runtime/engine.js'

/** onnxruntime's threads and spin-waiting, the same for pure inference and the daemon. */
export interface OrtSettings {
  threads: number
  spin: boolean
}

/** Back-to-back inference of one camera's frames on the engine the daemon uses. */
export async function pureFps(model: string, ort: OrtSettings, seconds: number): Promise<number> {
  const engine = new DetectorEngine(
    resolveModelConfig({ threads: ort.threads, spin_wait: ort.spin, providers: ['cpu'] }, model),
    DetectSchema.parse({}),
  )
  const info = await engine.open()
  const { width, height } = info.input
  const h = Math.min(height, Math.round((width * 480) / 640) & ~1)
  let n = 0
  const data = new Uint8Array(width * h * 3)
  const t0 = performance.now()
  while (performance.now() - t0 < seconds * 1000) {
    data.fill(100 + (n % 50))
    await engine.infer([
      {
        camera: 'b',
        seq: n,
        pts: null,
        ts: Date.now(),
        width,
        height: h,
        sourceWidth: 640,
        sourceHeight: 480,
        data: data.slice(),
      },
    ])
    n++
  }
  const fps = n / ((performance.now() - t0) / 1000)
  await engine.close()
  return fps
}

/** What the daemon runs `model` with by default: model.threads auto, no spin-waiting. */
export function daemonOrt(model: string): OrtSettings {
  return { threads: resolveModelConfig({}, model).threads, spin: false }
}
