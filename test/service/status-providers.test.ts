// Status, stats and metrics name every execution provider of the session (providers)
// beside the first one (provider, kept as it was).
import t from 'tap'
import { renderMetrics } from '../../src/service/metrics.js'
import { buildStats, buildStatus, providersOf, type DaemonStatus } from '../../src/service/status-model.js'
import type { RuntimeInfo } from '../../src/runtime/inference-runtime.js'
import { checkPrometheusText } from './prom-check.js'

function daemonStatus(model: RuntimeInfo | null): DaemonStatus {
  return {
    now: 10_000,
    pid: 1,
    version: '0.1.0',
    device: 'dev-1',
    config: '/etc/x.yaml',
    state: 'running',
    startedAt: 5_000,
    model,
    inference: null,
    cameras: {},
    counters: {},
    store: null,
    mqtt: null,
    health: { healthy: true, reasons: [], warnings: [] },
    loop: { lagMs: 0, mean: 0, p99: 0, max: 0 },
    rssBytes: 1,
    redact: (s) => s,
  }
}

const model = (over: Partial<RuntimeInfo> = {}): RuntimeInfo => ({
  model: 'm',
  path: '/m.onnx',
  provider: 'tensorrt',
  providers: ['tensorrt', 'cuda', 'cpu'],
  input: { width: 64, height: 64 },
  batch: 1,
  labels: ['a'],
  format: 'yolox',
  ...over,
})

t.test('status and stats carry providers beside provider', async (t) => {
  const status = buildStatus(daemonStatus(model()))
  t.equal(status.provider, 'tensorrt')
  t.same(status.providers, ['tensorrt', 'cuda', 'cpu'])
  t.match(status.model, { provider: 'tensorrt', providers: ['tensorrt', 'cuda', 'cpu'] })
  const stats = buildStats(daemonStatus(model()))
  t.equal(stats.provider, 'tensorrt')
  t.same(stats.providers, ['tensorrt', 'cuda', 'cpu'])
  t.same(buildStatus(daemonStatus(null)).providers, [], 'no model yet')
  t.same(
    providersOf(model({ provider: 'cpu', providers: undefined })),
    ['cpu'],
    'a snapshot without the list',
  )
})

t.test('metrics: one series per provider in order, the single-provider gauge unchanged', async (t) => {
  const text = await renderMetrics(daemonStatus(model()))
  checkPrometheusText(text)
  t.match(text, 'edgewatch_execution_provider{provider="tensorrt"} 1')
  t.match(text, 'edgewatch_execution_providers{provider="tensorrt",position="0"} 1')
  t.match(text, 'edgewatch_execution_providers{provider="cuda",position="1"} 1')
  t.match(text, 'edgewatch_execution_providers{provider="cpu",position="2"} 1')
})
