// `edgewatch check --probe`: opens the model once (session, manifest, output format —
// the same path the daemon takes) and each camera once, and reports.
// A failed probe exits 1 with the reason.
import type { CliIo } from './command.js'
import type { ResolvedConfig } from '../config/load.js'
import { EXIT } from './exit-codes.js'

export async function probe(cfg: ResolvedConfig, io: CliIo): Promise<number> {
  let failed = 0
  // Cameras are scaled to fit the model input; if the model cannot be opened, the usual
  // 416×416 stands in so the cameras are still probed.
  let target = { width: 416, height: 416 }
  const { DetectorEngine } = await import('../runtime/engine.js')
  const engine = new DetectorEngine(cfg.model, cfg.detect)
  try {
    const info = await engine.open()
    target = info.input
    io.stdout.write(
      `model ${cfg.model.path}: ${info.format} (${info.formatSource}), input ${info.input.width}x${info.input.height}, ` +
        `${info.labels.length} labels, provider ${info.provider}, warm-up ${info.warmupMs.toFixed(0)} ms\n`,
    )
  } catch (err) {
    failed++
    io.stdout.write(`model ${cfg.model.path}: FAILED: ${(err as Error).message}\n`)
  } finally {
    await engine.close()
  }
  const { probeCameras, formatCameraProbe } = await import('../pipeline/probe.js')
  for (const r of await probeCameras(cfg.cameras, { defaultMaxFps: cfg.detect.max_fps, target })) {
    if (!r.ok) failed++
    io.stdout.write(formatCameraProbe(r) + '\n')
  }
  return failed === 0 ? EXIT.OK : EXIT.FAILURE
}
