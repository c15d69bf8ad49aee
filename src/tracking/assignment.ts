// Optimal assignment (minimum total cost) of rows to columns: the Hungarian method with
// potentials (Kuhn-Munkres, O(n^2 m) for n rows <= m columns). The tracker matches tracks
// to detections with it. A small exact solver of our own rather than an npm package: the
// matrices are small (tens of objects), the tracker needs gating (pairs above a cost limit
// never match) and rectangular input, and 60 lines are easy to test against brute force
// (test/tracking/assignment.test.ts).

/** Costs above this are "impossible"; they stay unassigned after solving. */
const BLOCKED = 1e9

/**
 * Pairs (row, col) minimising the summed cost, with cost[row * cols + col] <= limit.
 * Rows or columns left over (or whose only options exceed the limit) are not paired.
 */
export function assign(cost: Float64Array, rows: number, cols: number, limit: number): [number, number][] {
  if (rows === 0 || cols === 0) return []
  const transpose = rows > cols
  const n = transpose ? cols : rows
  const m = transpose ? rows : cols
  const at = (i: number, j: number): number => {
    const c = transpose ? cost[j * cols + i]! : cost[i * cols + j]!
    return c > limit ? BLOCKED : c
  }
  // 1-based arrays as in the textbook formulation: p[j] = row matched to column j.
  const u = new Float64Array(n + 1)
  const v = new Float64Array(m + 1)
  const p = new Int32Array(m + 1)
  const way = new Int32Array(m + 1)
  const minv = new Float64Array(m + 1)
  const used = new Uint8Array(m + 1)
  for (let i = 1; i <= n; i++) {
    p[0] = i
    let j0 = 0
    minv.fill(Infinity)
    used.fill(0)
    do {
      used[j0] = 1
      const i0 = p[j0]!
      let delta = Infinity
      let j1 = 0
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue
        const cur = at(i0 - 1, j - 1) - u[i0]! - v[j]!
        if (cur < minv[j]!) {
          minv[j] = cur
          way[j] = j0
        }
        if (minv[j]! < delta) {
          delta = minv[j]!
          j1 = j
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          const r = p[j]!
          u[r] = u[r]! + delta
          v[j] = v[j]! - delta
        } else {
          minv[j] = minv[j]! - delta
        }
      }
      j0 = j1
    } while (p[j0] !== 0)
    do {
      const j1 = way[j0]!
      p[j0] = p[j1]!
      j0 = j1
    } while (j0 !== 0)
  }
  const out: [number, number][] = []
  for (let j = 1; j <= m; j++) {
    const i = p[j]!
    if (i === 0 || at(i - 1, j - 1) >= BLOCKED) continue
    out.push(transpose ? [j - 1, i - 1] : [i - 1, j - 1])
  }
  return out
}
