// Prometheus text exposition format 0.0.4, written by hand (no client library): one
// `# HELP` and `# TYPE` per family, label values escaped, histogram buckets cumulative
// and closed by le="+Inf", then _sum and _count.

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export type Labels = Readonly<Record<string, string>>

export interface Sample {
  labels?: Labels
  value: number
}

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  return String(v)
}

function formatLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {})
  if (entries.length === 0) return ''
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/

export class PrometheusText {
  private readonly lines: string[] = []
  private readonly seen = new Set<string>()

  private header(name: string, type: string, help: string): void {
    if (!NAME.test(name)) throw new Error(`invalid metric name "${name}"`)
    if (this.seen.has(name)) throw new Error(`metric family "${name}" written twice`)
    this.seen.add(name)
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`)
  }

  gauge(name: string, help: string, samples: Sample[] | number): this {
    return this.family('gauge', name, help, samples)
  }

  counter(name: string, help: string, samples: Sample[] | number): this {
    return this.family('counter', name, help, samples)
  }

  private family(type: string, name: string, help: string, samples: Sample[] | number): this {
    this.header(name, type, help)
    const list = typeof samples === 'number' ? [{ value: samples }] : samples
    for (const s of list) this.lines.push(`${name}${formatLabels(s.labels)} ${formatValue(s.value)}`)
    return this
  }

  /**
   * A histogram from cumulative bucket counts (counts[i] = observations <= le[i]);
   * `count` is the +Inf bucket.
   */
  histogram(
    name: string,
    help: string,
    h: { le: readonly number[]; counts: readonly number[]; sum: number; count: number },
    labels: Labels = {},
  ): this {
    this.header(name, 'histogram', help)
    h.le.forEach((bound, i) => {
      this.lines.push(
        `${name}_bucket${formatLabels({ ...labels, le: formatValue(bound) })} ${h.counts[i] ?? 0}`,
      )
    })
    this.lines.push(`${name}_bucket${formatLabels({ ...labels, le: '+Inf' })} ${h.count}`)
    this.lines.push(`${name}_sum${formatLabels(labels)} ${formatValue(h.sum)}`)
    this.lines.push(`${name}_count${formatLabels(labels)} ${h.count}`)
    return this
  }

  toString(): string {
    return this.lines.join('\n') + '\n'
  }
}
