// /metrics through prom-client: the daemon's own series, read from one snapshot per
// scrape, beside prom-client's process, GC, event-loop and handle defaults. Names follow
// Prometheus conventions (base units: seconds, bytes; counters end in _total); per-camera
// series carry a `camera` label. The names are a contract with users' dashboards:
// test/service/metrics.test.ts lists them.
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client'
import type { DaemonStatus } from './status-model.js'
import { cameraViews, providersOf, type CameraView } from './status-model.js'

const CAMERA_STATES = ['starting', 'streaming', 'backoff', 'failed', 'stopped'] as const

type Snap = () => DaemonStatus

/** Registers every edgewatch series on `registry`, read from `snapshot` when scraped. */
export function registerDaemonMetrics(registry: Registry, snapshot: Snap): void {
  // One snapshot serves all collectors of a scrape (they run together).
  let cached: { at: number; s: DaemonStatus } | null = null
  const snap = (): DaemonStatus => {
    const now = Date.now()
    if (!cached || now - cached.at > 50) cached = { at: now, s: snapshot() }
    return cached.s
  }
  const gauge = (name: string, help: string, read: (s: DaemonStatus) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(snap()))
      },
    })
  const total = (name: string, help: string, read: (s: DaemonStatus) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset()
        this.inc(read(snap()))
      },
    })
  const perCamera = (
    kind: 'gauge' | 'counter',
    name: string,
    help: string,
    read: (v: CameraView) => number,
  ) => {
    const collect = function (this: Gauge<'camera'> | Counter<'camera'>) {
      this.reset()
      for (const [camera, v] of Object.entries(cameraViews(snap()))) {
        if (this instanceof Gauge) this.set({ camera }, read(v))
        else this.inc({ camera }, read(v))
      }
    }
    const opts = { name, help, labelNames: ['camera'] as const, registers: [registry], collect }
    return kind === 'gauge' ? new Gauge(opts) : new Counter(opts)
  }

  new Gauge({
    name: 'edgewatch_info',
    help: 'Version, device, model and active execution provider (value is always 1)',
    labelNames: ['version', 'device', 'model', 'provider'],
    registers: [registry],
    collect() {
      const s = snap()
      this.reset()
      this.set(
        {
          version: s.version,
          device: s.device,
          model: s.model?.model ?? '',
          provider: s.model?.provider ?? '',
        },
        1,
      )
    },
  })
  gauge('edgewatch_up', '1 when the daemon is running (or reloading), 0 while starting or stopping', (s) =>
    s.state === 'running' || s.state === 'reloading' ? 1 : 0,
  )
  gauge('edgewatch_healthy', '1 when /healthz reports healthy', (s) => (s.health.healthy ? 1 : 0))
  gauge('edgewatch_uptime_seconds', 'Seconds since the daemon started', (s) =>
    s.startedAt ? (s.now - s.startedAt) / 1000 : 0,
  )

  // cameras
  perCamera(
    'counter',
    'edgewatch_camera_frames_received_total',
    'Frames decoded from the camera',
    (v) => v.frames.received,
  )
  perCamera(
    'counter',
    'edgewatch_camera_frames_processed_total',
    'Frames that went through inference',
    (v) => v.frames.processed,
  )
  perCamera(
    'counter',
    'edgewatch_camera_frames_dropped_total',
    'Frames not processed (rate limit, or replaced by a newer frame while inference was busy)',
    (v) => v.frames.dropped,
  )
  perCamera(
    'counter',
    'edgewatch_camera_frames_skipped_total',
    'Frames a live source dropped before scaling while the model was busy (they never reach the pipe)',
    (v) => v.frames.skipped,
  )
  perCamera(
    'gauge',
    'edgewatch_camera_fps_in',
    'Frames per second from the decoder (last seconds)',
    (v) => v.fps_in,
  )
  perCamera(
    'gauge',
    'edgewatch_camera_fps_processed',
    'Processed frames per second (last seconds)',
    (v) => v.fps,
  )
  perCamera(
    'counter',
    'edgewatch_camera_restarts_total',
    'Times the camera pipeline was restarted',
    (v) => v.restarts,
  )
  new Gauge({
    name: 'edgewatch_camera_state',
    help: 'Camera state (1 for the current state)',
    labelNames: ['camera', 'state'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [camera, v] of Object.entries(cameraViews(snap())))
        for (const state of CAMERA_STATES) this.set({ camera, state }, v.state === state ? 1 : 0)
    },
  })

  // inference
  // prom-client takes any object with name/help/type and get(); its own types list only its classes.
  registry.registerMetric(new InferenceHistogram(snap) as unknown as Histogram)
  total(
    'edgewatch_inference_frames_total',
    'Frames processed by the inference worker',
    (s) => s.inference?.processed ?? 0,
  )
  total(
    'edgewatch_inference_dropped_total',
    'Frames the inference worker dropped (a newer one replaced them)',
    (s) => s.inference?.dropped ?? 0,
  )
  gauge(
    'edgewatch_inference_queue',
    'Frames waiting for the inference worker',
    (s) => s.inference?.queued ?? 0,
  )
  total(
    'edgewatch_inference_worker_restarts_total',
    'Inference workers started again after the previous one crashed',
    (s) => s.inference?.restarts ?? 0,
  )
  new Gauge({
    name: 'edgewatch_execution_provider',
    help: 'Active onnxruntime execution provider (value is always 1)',
    labelNames: ['provider'],
    registers: [registry],
    collect() {
      this.reset()
      const m = snap().model
      if (m) this.set({ provider: m.provider }, 1)
    },
  })

  new Gauge({
    name: 'edgewatch_execution_providers',
    help: 'Every execution provider of the session, in the order onnxruntime tries them (position 0 first; value is always 1)',
    labelNames: ['provider', 'position'],
    registers: [registry],
    collect() {
      this.reset()
      const m = snap().model
      if (m) providersOf(m).forEach((provider, i) => this.set({ provider, position: String(i) }, 1))
    },
  })

  // storage and delivery
  gauge(
    'edgewatch_outbox_backlog',
    'Stored messages not yet acknowledged by the broker',
    (s) => s.store?.outbox_backlog ?? 0,
  )
  total(
    'edgewatch_outbox_dropped_total',
    'Unpublished messages dropped because the outbox reached storage.outbox_max_rows',
    (s) => s.store?.outbox_dropped ?? 0,
  )
  gauge('edgewatch_db_size_bytes', 'SQLite database size including the WAL', (s) => s.store?.db_bytes ?? 0)
  total(
    'edgewatch_detections_stored_total',
    'Detected objects written to the database',
    (s) => s.store?.detections_written ?? 0,
  )
  total(
    'edgewatch_db_write_failures_total',
    'Results that could not be written (disk full, read-only)',
    (s) => s.store?.write_failures ?? 0,
  )
  gauge('edgewatch_mqtt_connected', '1 while connected to the broker', (s) => (s.mqtt?.connected ? 1 : 0))
  total(
    'edgewatch_mqtt_published_total',
    'Messages acknowledged by the broker',
    (s) => s.mqtt?.published ?? 0,
  )
  total(
    'edgewatch_mqtt_reconnects_total',
    'Reconnection attempts to the broker',
    (s) => s.mqtt?.reconnects ?? 0,
  )

  // process (prom-client's defaults add CPU, heap, GC, handles, its own event-loop lag)
  gauge(
    'edgewatch_event_loop_lag_seconds',
    'How late the main event loop ran its last check timer',
    (s) => s.loop.lagMs / 1000,
  )
  gauge(
    'edgewatch_event_loop_delay_p99_seconds',
    'Event-loop delay, 99th percentile over the last 10 s window',
    (s) => s.loop.p99,
  )
  gauge('edgewatch_resident_memory_bytes', 'Resident set size of the daemon process', (s) => s.rssBytes)
}

/**
 * edgewatch_inference_duration_seconds from the runtime's cumulative buckets: the worker
 * counts every batch, and a swapped or restarted worker keeps counting in the same place,
 * so the series is read, not observed here.
 */
class InferenceHistogram {
  readonly name = 'edgewatch_inference_duration_seconds'
  readonly help = 'Inference time per batch (preprocess, run, decode, NMS)'
  readonly type = 'histogram'
  readonly aggregator = 'sum'

  constructor(private readonly snap: Snap) {}

  get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    const h = this.snap().inference?.histogram
    const values: MetricValue<string>[] = []
    if (h) {
      h.le.forEach((ms, i) =>
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { le: ms / 1000 },
          value: h.counts[i] ?? 0,
        } as MetricValue<string>),
      )
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { le: '+Inf' },
        value: h.count,
      } as MetricValue<string>)
      values.push({ metricName: `${this.name}_sum`, labels: {}, value: h.sum / 1000 } as MetricValue<string>)
      values.push({ metricName: `${this.name}_count`, labels: {}, value: h.count } as MetricValue<string>)
    }
    const metric = { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator }
    return Promise.resolve(metric as unknown as MetricObjectWithValues<MetricValue<string>>)
  }
}

/** A registry with the daemon's series and prom-client's defaults. */
export function daemonRegistry(snapshot: Snap, registry = new Registry()): Registry {
  registerDaemonMetrics(registry, snapshot)
  collectDefaultMetrics({ register: registry })
  // prom-client also exports the totals of these as gauges named *_total, which
  // `promtool check metrics` rejects (only counters end in _total); the per-type gauges
  // (nodejs_active_handles{type=...} and the like) carry the same numbers.
  for (const name of [
    'nodejs_active_handles_total',
    'nodejs_active_requests_total',
    'nodejs_active_resources_total',
  ])
    registry.removeSingleMetric(name)
  return registry
}

/** The text of one scrape of `status` (tests, and the bench's sanity check). */
export async function renderMetrics(status: DaemonStatus): Promise<string> {
  const registry = new Registry()
  registerDaemonMetrics(registry, () => status)
  return registry.metrics()
}
