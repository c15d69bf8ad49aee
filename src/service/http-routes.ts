// The local HTTP API as a table of routes: each extension adds the routes of its feature
// (the status page, /metrics, latest frames, events...), the server only dispatches. A
// handler reads daemon state through its extension; it owns none.
import type http from 'node:http'

export type Method = 'GET' | 'HEAD' | 'POST'

export interface Route {
  /** GET routes answer HEAD too. */
  method: 'GET' | 'POST'
  /** An exact path, or a pattern whose groups reach the handler (already URL-decoded). */
  path: string | RegExp
  handle(req: http.IncomingMessage, res: http.ServerResponse, params: string[], url: URL): unknown
  /** Shown in the 404 text so a user finds the API. */
  hint?: string
}

export class HttpRoutes {
  private readonly routes: Route[] = []

  /** Adds a route; returns the function that removes it. */
  add(route: Route): () => void {
    this.routes.push(route)
    return () => {
      const i = this.routes.indexOf(route)
      if (i >= 0) this.routes.splice(i, 1)
    }
  }

  /**
   * The routes whose path matches, with the decoded groups; `bad` when a group is not
   * valid percent-encoding (the caller answers 400).
   */
  match(path: string): { route: Route; params: string[] }[] | 'bad' {
    const out: { route: Route; params: string[] }[] = []
    for (const route of this.routes) {
      if (typeof route.path === 'string') {
        if (route.path === path) out.push({ route, params: [] })
        continue
      }
      const m = route.path.exec(path)
      if (!m) continue
      try {
        out.push({ route, params: m.slice(1).map((g) => decodeURIComponent(g ?? '')) })
      } catch {
        return 'bad'
      }
    }
    return out
  }

  hints(): string[] {
    return this.routes.flatMap((r) => (r.hint ? [r.hint] : []))
  }
}

export function send(
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

export function sendJson(res: http.ServerResponse, code: number, value: unknown): void {
  send(res, code, 'application/json', JSON.stringify(value) + '\n')
}

export function sendText(res: http.ServerResponse, code: number, text: string, headers = {}): void {
  send(res, code, 'text/plain', text, headers)
}
