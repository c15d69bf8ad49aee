// One snapshot of the daemon, and the views made from it: /api/status JSON (and
// `edgewatch status`), the MQTT stats message, and the one-line systemd STATUS=.
import type { ResolvedConfig } from '../config/load.js'
import type { CameraStatus } from '../pipeline/frame.js'
import type { RuntimeInfo, RuntimeStats } from '../runtime/inference-runtime.js'
import type { StoreStats } from '../store/store.js'
import type { PublisherStatus } from '../mqtt/publisher.js'
import { packageVersion } from '../cli/version.js'
import type { HealthReport } from './health.js'
import type { CameraCounters } from './data-flow.js'
import type { CoreParts } from './core-parts.js'

export interface DaemonStatus {
  now: number
  pid: number
  version: string
  device: string
  config: string
  state: string
  startedAt: number
  model: RuntimeInfo | null
  inference: RuntimeStats | null
  cameras: Record<string, CameraStatus>
  counters: Record<string, CameraCounters>
  store: StoreStats | null
  mqtt: PublisherStatus | null
  health: HealthReport
  loop: { lagMs: number; mean: number; p99: number; max: number }
  rssBytes: number
  redact: (text: string) => string
}

export interface CameraView {
  state: string
  /**
   * received: frames through the pipe; skipped: frames a live source dropped in its child
   * before scaling, while the model was busy (flow control, pipeline/camera.ts).
   */
  frames: { received: number; processed: number; dropped: number; skipped: number }
  /** Processed frames per second. */
  fps: number
  /** Capture to result (stored and handed to MQTT), ms, smoothed. */
  latency_ms: number | null
  fps_in: number
  restarts: number
  last_error: string | null
  decoder: string
  last_frame_age: number | null
  source: { width: number; height: number } | null
  /** The latest processed frame that had detections (or the latest one, before any). */
  latest: CameraCounters['latest']
}

/** What a snapshot is taken from: the controller's state and its parts. */
export interface SnapshotSources {
  config: ResolvedConfig
  configPath: string
  state: string
  startedAt: number
  parts: CoreParts
  counters: Record<string, CameraCounters>
  health: HealthReport
  loop: DaemonStatus['loop']
  redact: (text: string) => string
}

/** Reads every part once; a part that throws (stopping) reads as absent. */
export function takeSnapshot(src: SnapshotSources): DaemonStatus {
  const { parts } = src
  const read = <T>(f: () => T | undefined): T | null => {
    try {
      return f() ?? null
    } catch {
      return null
    }
  }
  return {
    now: Date.now(),
    pid: process.pid,
    version: packageVersion(),
    device: src.config.device.id,
    config: src.configPath,
    state: src.state,
    startedAt: src.startedAt,
    model: read(() => parts.runtime()?.info()),
    inference: read(() => parts.runtime()?.stats()),
    cameras: read(() => parts.cameras()?.status()) ?? {},
    counters: src.counters,
    store: read(() => parts.store()?.stats()),
    mqtt: src.config.mqtt.enabled ? read(() => parts.publisher()?.status()) : null,
    health: src.health,
    loop: src.loop,
    rssBytes: process.memoryUsage.rss(),
    redact: src.redact,
  }
}

/** Problems a restart cannot fix, for /healthz and the status page. */
export function coreWarnings(parts: CoreParts, config: ResolvedConfig): string[] {
  const out: string[] = []
  for (const [name, s] of Object.entries(parts.cameras()?.status() ?? {})) {
    if (s.state !== 'streaming')
      out.push(`camera ${name} is ${s.state}${s.last_error ? `: ${s.last_error}` : ''}`)
  }
  const mqtt = parts.publisher()?.status()
  if (config.mqtt.enabled && mqtt && !mqtt.connected) {
    out.push(
      `MQTT broker not connected${mqtt.last_error ? `: ${mqtt.last_error}` : ''} (messages wait in the outbox)`,
    )
  }
  const db = parts.store()?.stats()
  if (db?.last_error && db.write_failures > 0) out.push(`database: ${db.last_error}`)
  return out
}

export function cameraViews(s: DaemonStatus): Record<string, CameraView> {
  const inflight = s.inference ? s.inference.queued + (s.inference.busy ? 1 : 0) : 0
  const out: Record<string, CameraView> = {}
  for (const [name, cam] of Object.entries(s.cameras)) {
    const c = s.counters[name]
    const submitted = c?.submitted ?? 0
    const processed = c?.processed ?? 0
    // Frames handed to the worker but never processed were replaced by newer ones while
    // the worker was busy (latest frame wins); the ones still in flight are not drops.
    const replaced = Math.max(0, submitted - processed - inflight)
    out[name] = {
      state: cam.state,
      frames: {
        received: cam.frames.received,
        processed,
        dropped: cam.frames.dropped + replaced,
        skipped: cam.frames.skipped ?? 0,
      },
      fps: c?.fps ?? 0,
      latency_ms:
        c?.latency_ms === null || c?.latency_ms === undefined ? null : Math.round(c.latency_ms * 10) / 10,
      fps_in: cam.fps_in,
      restarts: cam.restarts,
      last_error: cam.last_error === null ? null : s.redact(cam.last_error),
      decoder: cam.decoder,
      last_frame_age: cam.last_frame_age,
      source: cam.source,
      latest: c?.latest ?? null,
    }
  }
  return out
}

export function buildStatus(s: DaemonStatus): Record<string, unknown> {
  const inf = s.inference
  return {
    device: s.device,
    pid: s.pid,
    version: s.version,
    state: s.state,
    config: s.config,
    uptime_s: s.startedAt ? Math.round((s.now - s.startedAt) / 1000) : 0,
    model: s.model
      ? {
          name: s.model.model,
          path: s.model.path,
          provider: s.model.provider,
          providers: providersOf(s.model),
          format: s.model.format,
          input: s.model.input,
          batch: s.model.batch,
        }
      : null,
    provider: s.model?.provider ?? null,
    providers: s.model ? providersOf(s.model) : [],
    inference: inf
      ? {
          submitted: inf.submitted,
          processed: inf.processed,
          dropped: inf.dropped,
          queued: inf.queued,
          busy: inf.busy,
          last_ms: inf.last_ms,
          p50_ms: inf.p50_ms,
          p99_ms: inf.p99_ms,
          worker_restarts: inf.restarts ?? 0,
          last_crash: inf.last_crash == null ? null : s.redact(inf.last_crash),
        }
      : null,
    outbox: { backlog: s.store?.outbox_backlog ?? 0, dropped: s.store?.outbox_dropped ?? 0 },
    mqtt: s.mqtt
      ? {
          connected: s.mqtt.connected,
          published: s.mqtt.published,
          inflight: s.mqtt.inflight,
          reconnects: s.mqtt.reconnects,
          last_error: s.mqtt.last_error === null ? null : s.redact(s.mqtt.last_error),
        }
      : null,
    database: s.store
      ? {
          bytes: s.store.db_bytes,
          detections_written: s.store.detections_written,
          messages_written: s.store.messages_written,
          write_failures: s.store.write_failures,
          last_error: s.store.last_error,
        }
      : null,
    health: s.health,
    event_loop: { lag_ms: s.loop.lagMs, p99_ms: Math.round(s.loop.p99 * 1e5) / 100 },
    memory: { rss_bytes: s.rssBytes },
    cameras: cameraViews(s),
  }
}

/** The MQTT `<prefix>/<device>/stats` payload (design.md §2). */
export function buildStats(s: DaemonStatus): Record<string, unknown> {
  const cams: Record<string, unknown> = {}
  for (const [name, v] of Object.entries(cameraViews(s))) {
    cams[name] = {
      state: v.state,
      fps_in: v.fps_in,
      fps_processed: v.fps,
      frames: v.frames,
      restarts: v.restarts,
      last_error: v.last_error,
    }
  }
  return {
    device: s.device,
    ts: s.now,
    uptime_s: s.startedAt ? Math.round((s.now - s.startedAt) / 1000) : 0,
    model: s.model?.model ?? null,
    provider: s.model?.provider ?? null,
    providers: s.model ? providersOf(s.model) : [],
    inference_ms: s.inference
      ? { last: s.inference.last_ms, p50: s.inference.p50_ms, p99: s.inference.p99_ms }
      : null,
    inference_worker_restarts: s.inference?.restarts ?? 0,
    outbox_backlog: s.store?.outbox_backlog ?? 0,
    outbox_dropped: s.store?.outbox_dropped ?? 0,
    cameras: cams,
  }
}

/** Every execution provider of the session in order (tensorrt, cuda, cpu); `provider` is the first. */
export function providersOf(m: RuntimeInfo): string[] {
  return m.providers ? [...m.providers] : [m.provider]
}

/** "2/2 cameras streaming, 9.5 fps, EP cpu, backlog 0" for systemd's STATUS=. */
export function statusLine(s: DaemonStatus): string {
  const views = Object.values(cameraViews(s))
  const streaming = views.filter((v) => v.state === 'streaming').length
  const fps = views.reduce((a, v) => a + v.fps, 0)
  const parts = [
    `${streaming}/${views.length} cameras streaming`,
    `${fps.toFixed(1)} fps`,
    `EP ${s.model?.provider ?? '-'}`,
    `backlog ${s.store?.outbox_backlog ?? 0}`,
  ]
  if (!s.health.healthy) parts.push(`UNHEALTHY: ${s.health.reasons.join('; ')}`)
  return parts.join(', ')
}
