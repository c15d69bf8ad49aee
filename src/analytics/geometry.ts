// Plane geometry for zones, lines and masks, in source-frame pixels (x right, y down).
// An object's reference point is the bottom centre of its box: where it stands, as
// Frigate and DeepStream's nvdsanalytics use.

export type Point = readonly [number, number]
export type Box = readonly [number, number, number, number]

export function referencePoint(b: Box): Point {
  return [(b[0] + b[2]) / 2, b[3]]
}

/** Even-odd rule; a point on an edge may count either way (measure zero). */
export function insidePolygon(p: Point, poly: readonly Point[]): boolean {
  let inside = false
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!
    const [xj, yj] = poly[j]!
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside
  }
  return inside
}

/**
 * Which side of the line a → b the point is on: the sign of
 * (bx−ax)(py−ay) − (by−ay)(px−ax) (design.md §2); its magnitude / |ab| is the distance.
 */
export function sideOf(p: Point, a: Point, b: Point): number {
  return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])
}

/** Signed distance of p from the infinite line through a, b (pixels). */
export function signedDistance(p: Point, a: Point, b: Point): number {
  const len = Math.hypot(b[0] - a[0], b[1] - a[1])
  return len === 0 ? 0 : sideOf(p, a, b) / len
}

/** Whether the segments p1p2 and q1q2 cross (touching counts). */
export function segmentsIntersect(p1: Point, p2: Point, q1: Point, q2: Point): boolean {
  const d1 = sideOf(q1, p1, p2)
  const d2 = sideOf(q2, p1, p2)
  const d3 = sideOf(p1, q1, q2)
  const d4 = sideOf(p2, q1, q2)
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true
  const on = (a: Point, b: Point, c: Point, d: number) =>
    d === 0 &&
    Math.min(a[0], b[0]) <= c[0] &&
    c[0] <= Math.max(a[0], b[0]) &&
    Math.min(a[1], b[1]) <= c[1] &&
    c[1] <= Math.max(a[1], b[1])
  return on(p1, p2, q1, d1) || on(p1, p2, q2, d2) || on(q1, q2, p1, d3) || on(q1, q2, p2, d4)
}

/** Whether two non-adjacent edges of the polygon cross (a "bow tie"). */
export function selfIntersects(poly: readonly Point[]): boolean {
  const n = poly.length
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      // adjacent edges share a vertex
      if (j === i + 1 || (i === 0 && j === n - 1)) continue
      if (segmentsIntersect(poly[i]!, poly[(i + 1) % n]!, poly[j]!, poly[(j + 1) % n]!)) return true
    }
  }
  return false
}

/** Relative points (0..1) to pixels of a width x height frame. */
export function toPixels(points: readonly Point[], width: number, height: number): Point[] {
  return points.map(([x, y]) => [x * width, y * height] as const)
}
