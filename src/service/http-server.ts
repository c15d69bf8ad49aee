// The local HTTP server (node:http, no framework). It dispatches to the routes the
// extensions registered (http-routes.ts) and owns no daemon state.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../log/logger.js'
import { parseListen } from '../config/listen.js'
import { sendText, type HttpRoutes } from './http-routes.js'
import type { HttpGuard } from './http-guard.js'

export interface HttpServerOptions {
  listen: string
  log: Logger
  routes: HttpRoutes
  /** Host, origin and token checks before any route (http-guard.ts). */
  guard?: HttpGuard
}

export class StatusHttpServer {
  private server: http.Server | null = null

  constructor(private readonly opts: HttpServerOptions) {}

  /** Where it listens (after start), e.g. for tests that listen on port 0. */
  address(): { host: string; port: number } | null {
    const a = this.server?.address() as AddressInfo | null | undefined
    return a ? { host: a.address, port: a.port } : null
  }

  async start(): Promise<void> {
    const where = parseListen(this.opts.listen)
    if (!where) throw new Error(`http.listen: expected host:port, got "${this.opts.listen}"`)
    const server = http.createServer((req, res) => {
      Promise.resolve()
        .then(() => this.handle(req, res))
        .catch((err: unknown) => {
          this.opts.log.error({ err, url: req.url }, 'HTTP handler failed')
          if (!res.headersSent) sendText(res, 500, 'internal error\n')
          else res.end()
        })
    })
    // Keep-alive sockets would hold stop() open; status clients reconnect cheaply.
    server.keepAliveTimeout = 5_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new Error(
            err.code === 'EADDRINUSE'
              ? `http.listen ${this.opts.listen}: address in use (another edgewatch running? change http.listen)`
              : `http.listen ${this.opts.listen}: ${err.message}`,
          ),
        ),
      )
      server.listen(where.port, where.host, () => resolve())
    })
    this.server = server
    this.opts.log.info({ listen: this.opts.listen }, 'HTTP status server listening')
  }

  async stop(): Promise<void> {
    const server = this.server
    this.server = null
    if (!server) return
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeAllConnections()
    await closed
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://localhost')
    } catch {
      return sendText(res, 400, 'bad request URL\n')
    }
    const refused = this.opts.guard?.check(req, url.pathname)
    if (refused) return sendText(res, refused.status, refused.text, refused.headers)
    const method = req.method === 'HEAD' ? 'GET' : req.method
    const found = this.opts.routes.match(url.pathname)
    if (found === 'bad') return sendText(res, 400, 'bad percent-encoding in the path\n')
    const hit = found.find((f) => f.route.method === method)
    if (hit) {
      await hit.route.handle(req, res, hit.params, url)
      return
    }
    if (found.length > 0) {
      const allow = found.map((f) => (f.route.method === 'GET' ? 'GET, HEAD' : f.route.method)).join(', ')
      return sendText(res, 405, `use ${allow}\n`, { allow })
    }
    if (method !== 'GET') return sendText(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' })
    sendText(res, 404, `not found; try ${this.opts.routes.hints().join(', ')}\n`)
  }
}
