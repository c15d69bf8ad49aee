// `edgewatch check --probe` for cameras: opens each enabled camera once (the same
// pipeline the daemon runs), waits for its first frame or its first fault, and reports
// the decoder chosen and the source size.
import type { CameraConfig } from '../config/schema.js'
import { createLogger } from '../log/logger.js'
import { redact } from '../log/redact.js'
import { Camera } from './camera.js'
import { fitSize } from './describe.js'
import { chooseVideoDecoder, detectVideoDecoders } from './video-decoders.js'

export interface CameraProbeResult {
  name: string
  ok: boolean
  decoder: string
  source: { width: number; height: number } | null
  frame: { width: number; height: number } | null
  /** Why it failed (credentials redacted), null when ok. */
  reason: string | null
}

export interface ProbeOptions {
  defaultMaxFps: number
  target: { width: number; height: number }
  /** Per camera; a camera that gives neither a frame nor an error in time fails. */
  timeoutMs?: number
}

export async function probeCameras(
  cameras: Readonly<Record<string, CameraConfig>>,
  opts: ProbeOptions,
): Promise<CameraProbeResult[]> {
  const inventory = await detectVideoDecoders()
  const log = createLogger({ level: 'silent', redact })
  const enabled = Object.entries(cameras).filter(([, c]) => c.enabled)
  // In parallel: each camera is its own child and a slow one should not add up.
  return Promise.all(
    enabled.map(async ([name, config]) => {
      const decoder = chooseVideoDecoder(config.decoder, inventory)
      let frame: CameraProbeResult['frame'] = null
      let verdict: (why: string | null) => void = () => {}
      const done = new Promise<string | null>((resolve) => (verdict = resolve))
      const camera = new Camera({
        name,
        config,
        maxFps: config.max_fps ?? opts.defaultMaxFps,
        target: opts.target,
        decoder,
        log,
        onFrame: (f) => {
          frame = { width: f.width, height: f.height }
          // The source size arrives on another pipe and the child may restart once with
          // the exact fitted size; report the camera when both have settled.
          const source = camera.status().source
          if (source) {
            const want = fitSize(source, opts.target)
            if (want.width === f.width && want.height === f.height) verdict(null)
          }
        },
        onState: (state, reason) => {
          if (state === 'backoff' || state === 'failed') verdict(reason ?? state)
          if (state === 'stopped' && frame === null) verdict(reason ?? 'ended without a frame')
        },
      })
      const timeoutMs = opts.timeoutMs ?? Math.max(15_000, config.stall_timeout * 1000)
      const timer = setTimeout(
        () => verdict(frame === null ? `no frame within ${timeoutMs / 1000} s` : null),
        timeoutMs,
      )
      camera.start()
      const reason = await done
      clearTimeout(timer)
      const source = camera.status().source
      await camera.stop()
      return {
        name,
        ok: reason === null,
        decoder: decoder.label,
        source,
        frame,
        reason: reason && redact(reason),
      }
    }),
  )
}

export function formatCameraProbe(r: CameraProbeResult): string {
  if (!r.ok) return `camera ${r.name}: FAILED: ${r.reason ?? 'unknown'} (decoder ${r.decoder})`
  const src = r.source ? `${r.source.width}x${r.source.height}` : 'unknown size'
  const out = r.frame ? ` → ${r.frame.width}x${r.frame.height}` : ''
  return `camera ${r.name}: ok, ${src}${out}, decoder ${r.decoder}`
}
