// /metrics is a contract with users' dashboards: every series name it had stays, the whole
// scrape passes Prometheus's own linter (`promtool check metrics`, Debian's prometheus
// package), and prom-client's process, GC, event-loop and handle defaults are there.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { daemonRegistry } from '../../src/service/metrics.js'
import { daemonStatus } from './status-fixture.js'
import { checkPrometheusText } from './prom-check.js'

const DASHBOARD_NAMES = [
  'edgewatch_info',
  'edgewatch_up',
  'edgewatch_healthy',
  'edgewatch_uptime_seconds',
  'edgewatch_camera_frames_received_total',
  'edgewatch_camera_frames_processed_total',
  'edgewatch_camera_frames_dropped_total',
  'edgewatch_camera_fps_in',
  'edgewatch_camera_fps_processed',
  'edgewatch_camera_restarts_total',
  'edgewatch_camera_state',
  'edgewatch_inference_duration_seconds',
  'edgewatch_inference_frames_total',
  'edgewatch_inference_dropped_total',
  'edgewatch_inference_queue',
  'edgewatch_execution_provider',
  'edgewatch_outbox_backlog',
  'edgewatch_outbox_dropped_total',
  'edgewatch_db_size_bytes',
  'edgewatch_detections_stored_total',
  'edgewatch_db_write_failures_total',
  'edgewatch_mqtt_connected',
  'edgewatch_mqtt_published_total',
  'edgewatch_mqtt_reconnects_total',
  'edgewatch_event_loop_lag_seconds',
  'edgewatch_event_loop_delay_p99_seconds',
  'edgewatch_resident_memory_bytes',
]

const DEFAULTS = [
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'process_open_fds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_gc_duration_seconds',
  'nodejs_active_handles',
  'nodejs_heap_size_used_bytes',
]

async function scrape(): Promise<string> {
  const registry = daemonRegistry(() => daemonStatus())
  // prom-client's event-loop and GC collectors fill in after their first tick.
  await new Promise((r) => setTimeout(r, 50))
  return registry.metrics()
}

t.test('every series name of the dashboards is there, and the defaults', async (t) => {
  const fams = checkPrometheusText(await scrape())
  const names = new Set(fams.map((f) => f.name))
  t.same(
    DASHBOARD_NAMES.filter((n) => !names.has(n)),
    [],
    'no name of the previous /metrics is missing',
  )
  t.same(
    DEFAULTS.filter((n) => !names.has(n)),
    [],
    'prom-client defaults',
  )
})

t.test('promtool check metrics accepts the whole scrape', async (t) => {
  const text = await scrape()
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 })
  t.equal(r.error, undefined, 'promtool runs (Debian package prometheus, installed by scripts/test.sh)')
  t.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`)
  // The linter does find problems when there are some.
  const bad = spawnSync('promtool', ['check', 'metrics'], {
    input: '# HELP x_total a gauge\n# TYPE x_total gauge\nx_total 1\n',
    encoding: 'utf8',
  })
  t.not(bad.status, 0, 'a gauge named *_total is refused')
})
