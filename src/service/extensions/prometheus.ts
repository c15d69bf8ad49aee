// GET /metrics: Prometheus exposition through prom-client (service/metrics.ts), on the
// registry every extension may add its own series to (ctx.metrics).
import type { Extension, ExtensionContext } from '../extension.js'
import { send } from '../http-routes.js'
import { daemonRegistry } from '../metrics.js'

export class PrometheusMetrics implements Extension {
  readonly name = 'prometheus'

  constructor(ctx: ExtensionContext) {
    const registry = daemonRegistry(() => ctx.snapshot(), ctx.metrics)
    ctx.routes.add({
      method: 'GET',
      path: '/metrics',
      hint: '/metrics',
      handle: async (_req, res) => send(res, 200, registry.contentType, await registry.metrics()),
    })
  }
}
