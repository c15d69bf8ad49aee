// `edgewatch check --probe`: opens the model once (session, manifest, output format —
// the same path the daemon takes) and each camera once, and reports.
// A failed probe exits 1 with the reason.
import type { CliIo } from './command.js'
import type { ResolvedConfig } from '../config/load.js'
import { EXIT } from './exit-codes.js'
import type { CameraConfig } from '../config/schema.js'
import { toPixels, type Point } from '../analytics/geometry.js'

/** The camera's zones, lines and masks as understood, in pixels of its real source size. */
export function formatGeometry(cam: CameraConfig, source: { width: number; height: number }): string {
  const pts = (p: readonly Point[]) =>
    toPixels(p, source.width, source.height)
      .map(([x, y]) => `(${Math.round(x)},${Math.round(y)})`)
      .join(' ')
  const out: string[] = []
  for (const [name, z] of Object.entries(cam.zones))
    out.push(
      `    zone ${name}: ${pts(z.points)}${z.labels ? ` labels ${z.labels.join(',')}` : ''}, inertia ${z.inertia}`,
    )
  for (const [name, l] of Object.entries(cam.lines)) {
    // For a line drawn top to bottom, "in" is moving from right to left (design.md §2).
    out.push(
      `    line ${name}: ${pts(l.points)} (in: from the left of P1→P2 to its right)${l.labels ? ` labels ${l.labels.join(',')}` : ''}`,
    )
  }
  cam.masks.forEach((m, i) => out.push(`    mask ${i}: ${pts(m)}`))
  return out.length ? out.join('\n') + '\n' : ''
}

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
    const cam = cfg.cameras[r.name]
    if (cam && r.source) io.stdout.write(formatGeometry(cam, r.source))
  }
  return failed === 0 ? EXIT.OK : EXIT.FAILURE
}
