// How CLI verbs reach the running daemon: its local HTTP server (http.listen in the
// config), on loopback when it listens on all addresses.
import type { ResolvedConfig } from '../../config/load.js'
import { parseListen } from '../../config/load.js'

export function daemonBaseUrl(cfg: ResolvedConfig): string | null {
  if (!cfg.http.enabled) return null
  const where = parseListen(cfg.http.listen)
  if (!where) return null
  const host = where.host === '0.0.0.0' ? '127.0.0.1' : where.host === '::' ? '::1' : where.host
  return `http://${host.includes(':') ? `[${host}]` : host}:${where.port}`
}

export function notReachable(base: string, err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message
  return (
    `no edgewatch daemon answers on ${base} (${cause}). Is it running (systemctl status edgewatch)? ` +
    `Does --config point at the file it runs with (http.listen)?`
  )
}
