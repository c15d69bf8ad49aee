// The local HTTP server (node:http, no framework): health, Prometheus metrics, status
// JSON, the latest annotated frame per camera, a small status page, and a loopback-only
// reload endpoint. It only reads from a provider; it owns no daemon state.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from '../log/logger.js'
import { parseListen } from '../config/load.js'
import type { HealthReport } from './health.js'
import type { LatestImage } from './snapshots.js'
import { PROMETHEUS_CONTENT_TYPE } from './prometheus.js'
import { STATUS_PAGE_HTML } from './status-page.js'

export interface ReloadOutcome {
  ok: boolean
  /** What changed and was applied, e.g. "cameras added: yard". */
  applied: string[]
  /** Changed keys that only take effect after a restart. */
  needs_restart: string[]
  /** Why the new file was rejected (the old config keeps running). */
  errors: string[]
}

export interface HttpProvider {
  health(): HealthReport
  metrics(): string
  status(): unknown
  /** undefined: no such camera; null: no processed frame yet. */
  latestImage(camera: string): LatestImage | null | undefined
  reload(): Promise<ReloadOutcome>
}

export interface HttpServerOptions {
  listen: string
  log: Logger
  provider: HttpProvider
}

function isLoopback(addr: string | undefined): boolean {
  return addr === '::1' || addr === '::ffff:127.0.0.1' || (addr?.startsWith('127.') ?? false)
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
      this.handle(req, res).catch((err: unknown) => {
        this.opts.log.error({ err, url: req.url }, 'HTTP handler failed')
        if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n')
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
    const url = new URL(req.url ?? '/', 'http://localhost')
    const path = url.pathname
    const p = this.opts.provider
    if (path === '/api/reload') {
      if (req.method !== 'POST') return send(res, 405, 'text/plain', 'use POST\n', { allow: 'POST' })
      // Only local users (or `edgewatch reload` on the box) may trigger a reload.
      if (!isLoopback(req.socket.remoteAddress))
        return send(res, 403, 'text/plain', 'reload is loopback-only\n')
      const outcome = await p.reload()
      return sendJson(res, outcome.ok ? 200 : 422, outcome)
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' })
    }
    if (path === '/' || path === '/index.html')
      return send(res, 200, 'text/html; charset=utf-8', STATUS_PAGE_HTML)
    if (path === '/healthz') {
      const h = p.health()
      return sendJson(res, h.healthy ? 200 : 503, { status: h.healthy ? 'ok' : 'unhealthy', ...h })
    }
    if (path === '/metrics') return send(res, 200, PROMETHEUS_CONTENT_TYPE, p.metrics())
    if (path === '/api/status') return sendJson(res, 200, p.status())
    const m = /^\/cameras\/([^/]+)\/latest\.jpg$/.exec(path)
    if (m) {
      const camera = decodeURIComponent(m[1]!)
      const img = p.latestImage(camera)
      if (img === undefined) return send(res, 404, 'text/plain', `no camera named "${camera}"\n`)
      if (img === null) {
        return send(res, 503, 'text/plain', `no processed frame from "${camera}" yet; retry shortly\n`, {
          'retry-after': '1',
        })
      }
      return send(res, 200, 'image/jpeg', img.jpeg, {
        'x-frame-seq': String(img.frameSeq),
        'x-frame-ts': String(img.ts),
      })
    }
    send(
      res,
      404,
      'text/plain',
      'not found; try /, /healthz, /metrics, /api/status, /cameras/<name>/latest.jpg\n',
    )
  }
}

function send(
  res: http.ServerResponse,
  code: number,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(code, {
    'content-type': type,
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
    ...headers,
  })
  res.end(res.req.method === 'HEAD' ? undefined : body)
}

function sendJson(res: http.ServerResponse, code: number, value: unknown): void {
  send(res, code, 'application/json', JSON.stringify(value) + '\n')
}
