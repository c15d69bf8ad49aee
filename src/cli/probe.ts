// `edgewatch check --probe`: opens the model once and each camera once, and reports.
// Each part contributes its own probe; a failed probe exits 1 with the reason.
import type { CliIo } from './command.js'
import type { ResolvedConfig } from '../config/load.js'
import { EXIT } from './exit-codes.js'

export async function probe(cfg: ResolvedConfig, io: CliIo): Promise<number> {
  let failed = 0
  try {
    const ort = await import('onnxruntime-node')
    const session = await ort.InferenceSession.create(cfg.model.path, { executionProviders: ['cpu'] })
    io.stdout.write(
      `model ${cfg.model.path}: inputs ${session.inputNames.join(',')}; outputs ${session.outputNames.join(',')}\n`,
    )
    await session.release()
  } catch (err) {
    failed++
    io.stdout.write(`model ${cfg.model.path}: FAILED: ${(err as Error).message}\n`)
  }
  const { probeCameras, formatCameraProbe } = await import('../pipeline/probe.js')
  const input = cfg.model.input ?? { width: 416, height: 416 }
  for (const r of await probeCameras(cfg.cameras, {
    defaultMaxFps: cfg.detect.max_fps,
    target: { width: input.width, height: input.height },
  })) {
    if (!r.ok) failed++
    io.stdout.write(formatCameraProbe(r) + '\n')
  }
  return failed === 0 ? EXIT.OK : EXIT.FAILURE
}
