// /metrics: the daemon's snapshot in Prometheus text format. Names follow Prometheus
// conventions (base units: seconds, bytes; counters end in _total), per-camera series
// carry a `camera` label.
import type { DaemonStatus } from './status-model.js'
import { cameraViews, providersOf } from './status-model.js'
import { PrometheusText, type Sample } from './prometheus.js'

const CAMERA_STATES = ['starting', 'streaming', 'backoff', 'failed', 'stopped'] as const

export function renderMetrics(s: DaemonStatus): string {
  const p = new PrometheusText()
  const views = Object.entries(cameraViews(s))
  const perCamera = (f: (v: (typeof views)[number][1], name: string) => number): Sample[] =>
    views.map(([camera, v]) => ({ labels: { camera }, value: f(v, camera) }))

  p.gauge('edgewatch_info', 'Version, device, model and active execution provider (value is always 1)', [
    {
      labels: {
        version: s.version,
        device: s.device,
        model: s.model?.model ?? '',
        provider: s.model?.provider ?? '',
      },
      value: 1,
    },
  ])
  p.gauge('edgewatch_up', '1 when the daemon is running (or reloading), 0 while starting or stopping', [
    { value: s.state === 'running' || s.state === 'reloading' ? 1 : 0 },
  ])
  p.gauge('edgewatch_healthy', '1 when /healthz reports healthy', s.health.healthy ? 1 : 0)
  p.gauge(
    'edgewatch_uptime_seconds',
    'Seconds since the daemon started',
    s.startedAt ? (s.now - s.startedAt) / 1000 : 0,
  )

  // cameras
  p.counter(
    'edgewatch_camera_frames_received_total',
    'Frames decoded from the camera',
    perCamera((v) => v.frames.received),
  )
  p.counter(
    'edgewatch_camera_frames_processed_total',
    'Frames that went through inference',
    perCamera((v) => v.frames.processed),
  )
  p.counter(
    'edgewatch_camera_frames_dropped_total',
    'Frames not processed (rate limit, or replaced by a newer frame while inference was busy)',
    perCamera((v) => v.frames.dropped),
  )
  p.gauge(
    'edgewatch_camera_fps_in',
    'Frames per second from the decoder (last seconds)',
    perCamera((v) => v.fps_in),
  )
  p.gauge(
    'edgewatch_camera_fps_processed',
    'Processed frames per second (last seconds)',
    perCamera((v) => v.fps),
  )
  p.counter(
    'edgewatch_camera_restarts_total',
    'Times the camera pipeline was restarted',
    perCamera((v) => v.restarts),
  )
  p.gauge(
    'edgewatch_camera_state',
    'Camera state (1 for the current state)',
    views.flatMap(([camera, v]) =>
      CAMERA_STATES.map((state) => ({ labels: { camera, state }, value: v.state === state ? 1 : 0 })),
    ),
  )

  // inference
  const inf = s.inference
  if (inf) {
    p.histogram(
      'edgewatch_inference_duration_seconds',
      'Inference time per batch (preprocess, run, decode, NMS)',
      {
        le: inf.histogram.le.map((ms) => ms / 1000),
        counts: inf.histogram.counts,
        sum: inf.histogram.sum / 1000,
        count: inf.histogram.count,
      },
    )
    p.counter('edgewatch_inference_frames_total', 'Frames processed by the inference worker', inf.processed)
    p.counter(
      'edgewatch_inference_dropped_total',
      'Frames the inference worker dropped (a newer one replaced them)',
      inf.dropped,
    )
    p.gauge('edgewatch_inference_queue', 'Frames waiting for the inference worker', inf.queued)
  }
  p.gauge(
    'edgewatch_execution_provider',
    'Active onnxruntime execution provider (value is always 1)',
    s.model ? [{ labels: { provider: s.model.provider }, value: 1 }] : [],
  )
  p.gauge(
    'edgewatch_execution_providers',
    'Every execution provider of the session, in the order onnxruntime tries them (position 0 first; value is always 1)',
    s.model
      ? providersOf(s.model).map((provider, i) => ({ labels: { provider, position: String(i) }, value: 1 }))
      : [],
  )

  // storage and delivery
  p.gauge(
    'edgewatch_outbox_backlog',
    'Stored messages not yet acknowledged by the broker',
    s.store?.outbox_backlog ?? 0,
  )
  p.counter(
    'edgewatch_outbox_dropped_total',
    'Unpublished messages dropped because the outbox reached storage.outbox_max_rows',
    s.store?.outbox_dropped ?? 0,
  )
  p.gauge('edgewatch_db_size_bytes', 'SQLite database size including the WAL', s.store?.db_bytes ?? 0)
  p.counter(
    'edgewatch_detections_stored_total',
    'Detected objects written to the database',
    s.store?.detections_written ?? 0,
  )
  p.counter(
    'edgewatch_db_write_failures_total',
    'Results that could not be written (disk full, read-only)',
    s.store?.write_failures ?? 0,
  )
  p.gauge('edgewatch_mqtt_connected', '1 while connected to the broker', s.mqtt?.connected ? 1 : 0)
  p.counter('edgewatch_mqtt_published_total', 'Messages acknowledged by the broker', s.mqtt?.published ?? 0)
  p.counter('edgewatch_mqtt_reconnects_total', 'Reconnection attempts to the broker', s.mqtt?.reconnects ?? 0)

  // process
  p.gauge(
    'edgewatch_event_loop_lag_seconds',
    'How late the main event loop ran its last check timer',
    s.loop.lagMs / 1000,
  )
  p.gauge(
    'edgewatch_event_loop_delay_p99_seconds',
    'Event-loop delay, 99th percentile over the last 10 s window',
    s.loop.p99,
  )
  p.gauge('edgewatch_resident_memory_bytes', 'Resident set size of the daemon process', s.rssBytes)
  return p.toString()
}
