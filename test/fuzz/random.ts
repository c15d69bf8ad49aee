// A small seeded generator for the fuzz tests: the same seed gives the same cases, so a
// failure can be replayed (EDGEWATCH_FUZZ_SEED=<seed>) and turned into a fixture. Counts
// scale with EDGEWATCH_FUZZ_SCALE (1 by default; CI runs the default, bounded in time).

/** mulberry32: tiny, fast, good enough to spread test inputs. */
export class Random {
  private state: number

  constructor(readonly seed: number) {
    this.state = seed >>> 0
  }

  /** [0, 1) */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let x = this.state
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = this.int(0, 255)
    return out
  }

  /** A string of `n` characters from `alphabet` (default: printable ASCII and a few odd ones). */
  string(n: number, alphabet = ASCII): string {
    let s = ''
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, alphabet.length - 1)]
    return s
  }
}

const ASCII =
  ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~'
/** Characters that tend to break parsers: quotes, escapes, control, non-ASCII, surrogates. */
export const ODD = `${ASCII}\t\n\r\0\u00e9\u00df\u4e2d\u{1F600}\uFFFD\u202E\\'"`

/** The seeds to run: EDGEWATCH_FUZZ_SEED (one) or the fixed list. */
export function seeds(fixed: readonly number[]): number[] {
  const env = process.env.EDGEWATCH_FUZZ_SEED
  return env ? [Number(env)] : [...fixed]
}

/** `n` scaled by EDGEWATCH_FUZZ_SCALE. */
export function count(n: number): number {
  const k = Number(process.env.EDGEWATCH_FUZZ_SCALE ?? '1')
  return Math.max(1, Math.round(n * (Number.isFinite(k) && k > 0 ? k : 1)))
}
