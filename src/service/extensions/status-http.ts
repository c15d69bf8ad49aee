// The local HTTP server and its core routes: the status page, /healthz, /api/status and
// the loopback-only POST /api/reload. Other extensions add their routes to the same table
// (ctx.routes). Optional: if http.listen cannot be bound, the daemon runs without it.
import type { ResolvedConfig } from '../../config/load.js'
import type { Logger } from '../../log/logger.js'
import type { Extension, ExtensionContext, Reconfiguration } from '../extension.js'
import { StatusHttpServer } from '../http-server.js'
import { send, sendJson, sendText } from '../http-routes.js'
import { STATUS_PAGE_HTML } from '../status-page.js'
import { isLoopback, parseListen } from '../../config/listen.js'
import { HttpGuard } from '../http-guard.js'

export class StatusHttp implements Extension {
  readonly name = 'status-http'
  private server: StatusHttpServer | null = null
  private readonly log: Logger
  private stopped = false

  constructor(private readonly ctx: ExtensionContext) {
    this.log = ctx.log.child({ module: 'http' })
    const page = () => ({
      method: 'GET' as const,
      handle: (_q: unknown, res: Parameters<typeof send>[0]) =>
        send(res, 200, 'text/html; charset=utf-8', STATUS_PAGE_HTML),
    })
    ctx.routes.add({ path: '/', hint: '/', ...page() })
    ctx.routes.add({ path: '/index.html', ...page() })
    ctx.routes.add({
      method: 'GET',
      path: '/healthz',
      hint: '/healthz',
      handle: (_req, res) => {
        const h = ctx.health.evaluate()
        sendJson(res, h.healthy ? 200 : 503, { status: h.healthy ? 'ok' : 'unhealthy', ...h })
      },
    })
    ctx.routes.add({
      method: 'GET',
      path: '/api/status',
      hint: '/api/status',
      handle: (_req, res) => sendJson(res, 200, ctx.status()),
    })
    ctx.routes.add({
      method: 'POST',
      path: '/api/reload',
      handle: async (req, res) => {
        // Only local users (or `edgewatch reload` on the box) may trigger a reload.
        if (!isLoopback(req.socket.remoteAddress)) return sendText(res, 403, 'reload is loopback-only\n')
        const outcome = await ctx.reload()
        sendJson(res, outcome.ok ? 200 : 422, outcome)
      },
    })
  }

  /** Where it listens (tests listen on port 0), null when disabled or not started. */
  address(): { host: string; port: number } | null {
    return this.server?.address() ?? null
  }

  async start(): Promise<void> {
    this.stopped = false
    await this.listen(this.ctx.config().http)
  }

  async stop(): Promise<void> {
    this.stopped = true
    const s = this.server
    this.server = null
    await s?.stop()
  }

  reconfigure(change: Reconfiguration): void {
    if (!change.diff.http) return
    const next = change.next.http
    change.outcome.applied.push(`HTTP server moves to ${next.enabled ? next.listen : '(disabled)'}`)
    // After the reply: the reload may have come in through this very server.
    setTimeout(() => {
      void (async () => {
        const old = this.server
        this.server = null
        await old?.stop().catch((err: unknown) => this.log.error({ err }, 'HTTP server did not stop cleanly'))
        if (!this.stopped) await this.listen(next)
      })()
    }, 200).unref()
  }

  private async listen(cfg: ResolvedConfig['http']): Promise<void> {
    if (!cfg.enabled) return
    const guard = new HttpGuard({
      listenHost: parseListen(cfg.listen)?.host ?? '',
      hosts: cfg.hosts,
      allowRemote: cfg.allow_remote,
      token: cfg.token ?? null,
    })
    const server = new StatusHttpServer({ listen: cfg.listen, log: this.log, routes: this.ctx.routes, guard })
    try {
      await server.start()
      this.server = server
    } catch (err) {
      this.log.error({ err }, 'HTTP status server failed to start; continuing without it (fix http.listen)')
    }
  }
}
