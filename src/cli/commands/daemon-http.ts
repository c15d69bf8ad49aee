// How CLI verbs reach the running daemon: its local HTTP server (http.listen in the
// config), on loopback when it listens on all addresses.
import { HTTP_TOKEN_ENV, type ResolvedConfig } from '../../config/load.js'
import { parseListen } from '../../config/listen.js'
import type { CliIo } from '../command.js'
import { EXIT } from '../exit-codes.js'

export function daemonBaseUrl(cfg: ResolvedConfig): string | null {
  if (!cfg.http.enabled) return null
  const where = parseListen(cfg.http.listen)
  if (!where) return null
  const host = where.host === '0.0.0.0' ? '127.0.0.1' : where.host === '::' ? '::1' : where.host
  return `http://${host.includes(':') ? `[${host}]` : host}:${where.port}`
}

/**
 * What the daemon's HTTP guard (service/http-guard.ts) asks of a client: the token from
 * the config when there is one, and a JSON content type on a POST.
 */
export function daemonHeaders(cfg: ResolvedConfig, method: 'GET' | 'POST'): Record<string, string> {
  const h: Record<string, string> = {}
  if (cfg.http.token !== undefined) h.authorization = `Bearer ${cfg.http.token}`
  if (method === 'POST') h['content-type'] = 'application/json'
  return h
}

export function notReachable(base: string, err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message
  return (
    `no edgewatch daemon answers on ${base} (${cause}). Is it running (systemctl status edgewatch)? ` +
    `Does --config point at the file it runs with (http.listen)?`
  )
}

export interface DaemonRequest {
  cfg: ResolvedConfig
  /** The config file, for the message when its http server is disabled. */
  file: string
  io: CliIo
  /** The verb, for messages: "edgewatch <verb>: ...". */
  verb: string
  path: string
  method?: 'GET' | 'POST'
  timeoutMs: number
  /** Statuses whose body the verb reads (others are failures). */
  accept: readonly number[]
  /** What to do instead when http.enabled is false. */
  whenDisabled: string
}

/** The daemon's answer body, or the exit code after the reason was written to stderr. */
export async function requestDaemon(r: DaemonRequest): Promise<string | number> {
  const base = daemonBaseUrl(r.cfg)
  if (base === null) {
    r.io.stderr.write(`edgewatch ${r.verb}: http.enabled is false in ${r.file}; ${r.whenDisabled}\n`)
    return EXIT.CONFIG
  }
  try {
    const res = await fetch(`${base}${r.path}`, {
      method: r.method ?? 'GET',
      headers: daemonHeaders(r.cfg, r.method ?? 'GET'),
      signal: AbortSignal.timeout(r.timeoutMs),
    })
    const body = await res.text()
    if (res.status === 401) {
      r.io.stderr.write(
        `edgewatch ${r.verb}: the daemon on ${base} needs its HTTP token: set http.token in ${r.file}, ` +
          `or ${HTTP_TOKEN_ENV} in the environment as the daemon has it (e.g. from /etc/edgewatch/env)\n`,
      )
      return EXIT.FAILURE
    }
    if (!r.accept.includes(res.status)) throw new Error(`HTTP ${res.status}: ${body.slice(0, 200)}`)
    return body
  } catch (err) {
    r.io.stderr.write(`edgewatch ${r.verb}: ${notReachable(base, err)}\n`)
    return EXIT.FAILURE
  }
}
