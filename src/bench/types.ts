// Shape of one benchmark section; src/bench/main.ts runs the sections and writes
// docs/benchmarks.md and docs/benchmarks.json from them.

export interface BenchFigure {
  name: string
  /** The median of `runs` where there are several. */
  value: number
  unit: string
  /** The target as written in the issue, e.g. "< 25 % of one core". */
  goal?: string
  met?: boolean
  runs?: number[]
}

export interface BenchSection {
  id: string
  title: string
  figures: BenchFigure[]
  notes?: string[]
}

export interface BenchOptions {
  /** Fewer/shorter runs (for a smoke run), same code paths. */
  quick: boolean
  /** A user's model (--model FILE, manifest beside it) instead of the default one. */
  model?: string
  log: (msg: string) => void
}

export type BenchRunner = (opts: BenchOptions) => Promise<BenchSection>

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  if (n === 0) return NaN
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))
  return s[i]!
}
