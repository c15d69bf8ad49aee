// Checks Prometheus text format the way a scraper would: the parse-prometheus-text-format
// package (a port of the official Python client's parser) plus the structural rules it
// is lenient about (HELP/TYPE before samples, one family once, cumulative buckets
// ending in +Inf equal to _count). Returns the parsed families.
import { createRequire } from 'node:module'

export interface PromFamily {
  name: string
  help: string
  type: string
  metrics: {
    labels?: Record<string, string>
    value?: string
    buckets?: Record<string, string>
    count?: string
    sum?: string
  }[]
}

const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => PromFamily[]

const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\n"])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\n"])*")*)?\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$/

export function checkPrometheusText(text: string): PromFamily[] {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline')
  const typed = new Map<string, string>()
  let current = ''
  for (const [i, line] of text.slice(0, -1).split('\n').entries()) {
    const where = `line ${i + 1}: ${line}`
    // The text format ignores empty lines (prom-client puts one between families).
    if (line === '') continue
    const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line)
    if (m) {
      if (m[1] === 'TYPE') {
        if (typed.has(m[2]!)) throw new Error(`family declared twice, ${where}`)
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3]!))
          throw new Error(`bad type, ${where}`)
        typed.set(m[2]!, m[3]!)
        current = m[2]!
      }
      continue
    }
    const s = SAMPLE.exec(line)
    if (!s) throw new Error(`not a valid sample line, ${where}`)
    const name = s[1]!
    const family = typed.get(current) === 'histogram' ? name.replace(/_(bucket|sum|count)$/, '') : name
    if (family !== current) throw new Error(`sample outside its family (${current}), ${where}`)
  }
  const families = parse(text)
  for (const f of families) {
    if (f.type !== 'HISTOGRAM') continue
    for (const m of f.metrics) {
      // Object.entries puts integer-like keys ("1", "2") first: order by the bound.
      const entries = Object.entries(m.buckets ?? {}).sort((a, b) => Number(a[0]) - Number(b[0]))
      let prev = -1
      for (const [, v] of entries) {
        if (Number(v) < prev) throw new Error(`${f.name}: buckets not cumulative`)
        prev = Number(v)
      }
      // The +Inf bucket of this label set. (The parser drops _count of labelled histograms,
      // such as prom-client's GC histogram with its `kind` label; promtool checks those.)
      if (m.count !== undefined && m.buckets?.['+Inf'] !== m.count)
        throw new Error(`${f.name}: +Inf bucket != _count`)
    }
  }
  return families
}
