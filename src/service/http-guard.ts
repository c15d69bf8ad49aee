// Who may talk to the local HTTP server, checked before any route runs. Listening on
// loopback is not enough: any web page a local browser opens can send requests there.
// - Host must be a name of this server (loopback names, the listen address, http.hosts;
//   with allow_remote also the machine's host name and addresses): a DNS-rebinding page
//   (evil.example resolving to 127.0.0.1) reads nothing, its requests carry its own name.
// - A POST must be same-origin (Origin, Sec-Fetch-Site) and say Content-Type:
//   application/json: a cross-site form or a "simple" fetch can send only form or text
//   content types without a CORS preflight, and this server grants none.
// - With http.token (required by allow_remote) every path but /healthz needs
//   `Authorization: Bearer <token>`, or Basic with the token as password (any user), which
//   a browser asks for itself, so the status page works remotely too.
import crypto from 'node:crypto'
import type http from 'node:http'
import os from 'node:os'
import { isLoopback } from '../config/listen.js'

export interface GuardOptions {
  /** http.listen's host ('0.0.0.0', '::', an address or a name). */
  listenHost: string
  /** http.hosts: further names clients may use (a DNS name, a reverse proxy's). */
  hosts: readonly string[]
  /** http.allow_remote: the machine's own names and addresses are accepted too. */
  allowRemote: boolean
  /** http.token; null: no token needed. */
  token: string | null
}

export interface Refusal {
  status: number
  text: string
  headers?: Record<string, string>
}

const SIMPLE_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']
/** Paths that answer without a token: a load balancer's or monitor's health probe. */
const OPEN_PATHS = new Set(['/healthz'])

export class HttpGuard {
  private readonly names: Set<string>

  constructor(private readonly opts: GuardOptions) {
    const names = ['localhost', ...opts.hosts]
    const wildcard = opts.listenHost === '0.0.0.0' || opts.listenHost === '::'
    if (!wildcard) names.push(opts.listenHost)
    if (opts.allowRemote) names.push(...machineNames())
    this.names = new Set(names.map((n) => n.toLowerCase()))
  }

  /** Why the request is refused, or null when it may go on to its route. */
  check(req: http.IncomingMessage, pathname: string): Refusal | null {
    const host = hostOf(req.headers.host)
    if (host === null) return { status: 400, text: 'a Host header is required\n' }
    if (!this.knownHost(host)) {
      return {
        status: 421,
        text: `Host "${host}" is not a name of this server; add it to http.hosts in the config if clients use it\n`,
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const refused = this.checkWrite(req)
      if (refused) return refused
    }
    if (this.opts.token !== null && !OPEN_PATHS.has(pathname) && !this.authorized(req)) {
      return {
        status: 401,
        text: 'a token is required: send "Authorization: Bearer <http.token>" (browsers: any user, the token as password)\n',
        headers: { 'www-authenticate': 'Basic realm="edgewatch", charset="UTF-8"' },
      }
    }
    return null
  }

  private knownHost(host: string): boolean {
    const h = host.toLowerCase()
    return this.names.has(h) || isLoopback(h) || h.endsWith('.localhost')
  }

  private checkWrite(req: http.IncomingMessage): Refusal | null {
    const origin = req.headers.origin
    // http:// as served; https:// behind a TLS-terminating proxy that keeps the Host.
    if (
      origin !== undefined &&
      origin !== `http://${req.headers.host}` &&
      origin !== `https://${req.headers.host}`
    ) {
      return { status: 403, text: `cross-origin ${req.method} refused (Origin ${origin})\n` }
    }
    const site = req.headers['sec-fetch-site']
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      return { status: 403, text: `cross-site ${req.method} refused (Sec-Fetch-Site: ${site})\n` }
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (type !== 'application/json') {
      const why = SIMPLE_TYPES.includes(type) ? `${type} is what cross-site forms send` : 'none given'
      return {
        status: 415,
        text: `${req.method} needs Content-Type: application/json (${why}); e.g. curl -X POST -H 'Content-Type: application/json' …\n`,
      }
    }
    return null
  }

  private authorized(req: http.IncomingMessage): boolean {
    const auth = req.headers.authorization ?? ''
    const [scheme, value = ''] = auth.split(/\s+(.*)/s) as [string, string | undefined]
    let given: string | null = null
    if (/^bearer$/i.test(scheme)) given = value.trim()
    else if (/^basic$/i.test(scheme)) {
      const decoded = Buffer.from(value.trim(), 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      given = colon >= 0 ? decoded.slice(colon + 1) : null
    }
    return given !== null && sameSecret(given, this.opts.token!)
  }
}

/** The host part of a Host header ("[::1]:9310" → "::1"); null when absent or malformed. */
export function hostOf(header: string | undefined): string | null {
  if (header === undefined || header === '') return null
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+)(?::\d{1,5})?$/.exec(header)
  return m ? m[1]!.replace(/^\[|\]$/g, '') : null
}

function sameSecret(given: string, token: string): boolean {
  // Hashing first gives equal lengths, so the comparison takes the same time whatever was sent.
  const a = crypto.createHash('sha256').update(given).digest()
  const b = crypto.createHash('sha256').update(token).digest()
  return crypto.timingSafeEqual(a, b)
}

/** The machine's host name (also its short form) and every interface address. */
function machineNames(): string[] {
  const host = os.hostname()
  const out = [host, host.split('.')[0]!]
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) out.push(a.address)
  return out
}
