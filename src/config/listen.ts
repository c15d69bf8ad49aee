// host:port of http.listen, and what counts as loopback: the config check (a listener on
// another address needs http.allow_remote) and the HTTP server (reload only from the box
// itself) must agree on it.

export function parseListen(listen: string): { host: string; port: number } | null {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(listen)
  if (!m) return null
  const port = Number(m[2])
  if (port < 0 || port > 65535) return null
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port }
}

/** A host name or address (also a socket's IPv4-mapped IPv6 form) on the loopback interface. */
export function isLoopback(host: string | undefined): boolean {
  if (host === undefined) return false
  const h = host.startsWith('::ffff:') ? host.slice(7) : host
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h)
}
