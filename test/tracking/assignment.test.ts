// The assignment solver against brute force on random matrices (square, wide, tall, with
// gated pairs), and the cases a tracker meets: nothing to match, everything blocked.
import t from 'tap'
import { assign } from '../../src/tracking/assignment.js'

function brute(
  cost: Float64Array,
  rows: number,
  cols: number,
  limit: number,
): { pairs: number; total: number } {
  // Over all matchings that use only pairs within the limit: the most pairs, then the
  // lowest total. The solver prices a blocked pair out (1e9), so it optimises the same.
  let best = { pairs: -1, total: Infinity }
  const usedCols = new Uint8Array(cols)
  const rec = (r: number, pairs: number, total: number): void => {
    if (r === rows) {
      if (pairs > best.pairs || (pairs === best.pairs && total < best.total - 1e-9)) best = { pairs, total }
      return
    }
    rec(r + 1, pairs, total)
    for (let c = 0; c < cols; c++) {
      const v = cost[r * cols + c]!
      if (usedCols[c] || v > limit) continue
      usedCols[c] = 1
      rec(r + 1, pairs + 1, total + v)
      usedCols[c] = 0
    }
  }
  rec(0, 0, 0)
  return best.pairs === 0 ? { pairs: 0, total: 0 } : best
}

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

t.test('optimal on random matrices, gated pairs included', async (t) => {
  const r = rng(7)
  let checked = 0
  for (let k = 0; k < 300; k++) {
    const rows = 1 + Math.floor(r() * 6)
    const cols = 1 + Math.floor(r() * 6)
    const cost = new Float64Array(rows * cols).map(() => (r() < 0.25 ? Infinity : r()))
    const limit = 0.8
    const pairs = assign(cost, rows, cols, limit)
    const rowsUsed = new Set(pairs.map((p) => p[0]))
    const colsUsed = new Set(pairs.map((p) => p[1]))
    if (rowsUsed.size !== pairs.length || colsUsed.size !== pairs.length) t.fail('a row or column used twice')
    for (const [i, j] of pairs) if (!(cost[i * cols + j]! <= limit)) t.fail(`pair over the limit ${i},${j}`)
    const total = pairs.reduce((a, [i, j]) => a + cost[i * cols + j]!, 0)
    const b = brute(cost, rows, cols, limit)
    if (pairs.length !== b.pairs || Math.abs(total - b.total) > 1e-9)
      t.fail(
        `matrix ${k} (${rows}x${cols}): ${pairs.length} pairs, ${total}; brute force ${b.pairs}, ${b.total}`,
      )
    checked++
  }
  t.equal(checked, 300)
})

t.test('square matrices: exactly the brute-force optimum', async (t) => {
  const r = rng(11)
  for (let k = 0; k < 200; k++) {
    const n = 1 + Math.floor(r() * 6)
    const cost = new Float64Array(n * n).map(() => r())
    const pairs = assign(cost, n, n, Infinity)
    t.equal(pairs.length, n)
    const total = pairs.reduce((a, [i, j]) => a + cost[i * n + j]!, 0)
    t.ok(Math.abs(total - brute(cost, n, n, Infinity).total) < 1e-9)
  }
})

t.test('edge cases', async (t) => {
  t.same(assign(new Float64Array(0), 0, 3, 1), [])
  t.same(assign(new Float64Array([Infinity, Infinity]), 1, 2, 1), [], 'all blocked: no pair')
  // Greedy would take (0,0)=0.1 and leave row 1 with only (1,0); the optimum crosses.
  t.same(assign(new Float64Array([0.1, 0.2, 0.15, 0.9]), 2, 2, 1).sort(), [
    [0, 1],
    [1, 0],
  ])
  t.same(assign(new Float64Array([0.5, 0.1, 0.3]), 3, 1, 1), [[1, 0]], 'tall: the cheapest row wins')
})
