// A constant-velocity Kalman filter for one box: centre x, centre y, width and height,
// each with its velocity. Every axis is its own two-state filter (position, velocity):
// with a diagonal process and measurement noise, as in SORT and ByteTrack, the axes never
// couple, so four 2x2 covariances are the whole filter. Time steps are in seconds and may
// vary from frame to frame (cameras drop frames, files run at any speed); the process
// noise is a white-noise acceleration that grows with the step. Noise scales with the box
// height, as ByteTrack's does, so small and large boxes are tracked alike.

/** Position noise of a measurement, per pixel of box height (ByteTrack: 1/20). */
const MEASURE_STD = 1 / 20
/** Acceleration noise, box heights per second squared. */
const ACCEL_STD = 2
/** Initial velocity uncertainty, box heights per second. */
const VELOCITY_STD = 1.5

export type Box = [number, number, number, number]

export class BoxFilter {
  /** [cx, cy, w, h] and their velocities (px/s). */
  private readonly x = new Float64Array(4)
  private readonly v = new Float64Array(4)
  /** Per axis: variance of position, covariance, variance of velocity. */
  private readonly pp = new Float64Array(4)
  private readonly pv = new Float64Array(4)
  private readonly vv = new Float64Array(4)

  constructor(box: Box) {
    const z = toCxcywh(box)
    const h = Math.max(z[3], 1)
    for (let k = 0; k < 4; k++) {
      this.x[k] = z[k]!
      this.v[k] = 0
      this.pp[k] = (2 * MEASURE_STD * h) ** 2
      this.pv[k] = 0
      this.vv[k] = (VELOCITY_STD * h) ** 2
    }
  }

  /** Moves the state `dt` seconds ahead. */
  predict(dt: number): void {
    if (!(dt > 0)) return
    const h = Math.max(this.x[3]!, 1)
    const q = (ACCEL_STD * h) ** 2
    for (let k = 0; k < 4; k++) {
      this.x[k] = this.x[k]! + this.v[k]! * dt
      // P = F P F' + Q, F = [[1, dt], [0, 1]], Q = q [[dt^3/3, dt^2/2], [dt^2/2, dt]]
      const pp = this.pp[k]! + 2 * dt * this.pv[k]! + dt * dt * this.vv[k]! + (q * dt ** 3) / 3
      const pv = this.pv[k]! + dt * this.vv[k]! + (q * dt * dt) / 2
      this.pp[k] = pp
      this.pv[k] = pv
      this.vv[k] = this.vv[k]! + q * dt
    }
    // A shrinking box must not pass through zero.
    this.x[2] = Math.max(this.x[2]!, 1)
    this.x[3] = Math.max(this.x[3]!, 1)
  }

  /** Corrects the state with a measured box. */
  update(box: Box): void {
    const z = toCxcywh(box)
    const r = (MEASURE_STD * Math.max(z[3], 1)) ** 2
    for (let k = 0; k < 4; k++) {
      const s = this.pp[k]! + r
      const kp = this.pp[k]! / s
      const kv = this.pv[k]! / s
      const y = z[k]! - this.x[k]!
      this.x[k] = this.x[k]! + kp * y
      this.v[k] = this.v[k]! + kv * y
      const pp = (1 - kp) * this.pp[k]!
      const pv = (1 - kp) * this.pv[k]!
      this.vv[k] = this.vv[k]! - kv * this.pv[k]!
      this.pp[k] = pp
      this.pv[k] = pv
    }
  }

  /** The current box [x1, y1, x2, y2]. */
  box(): Box {
    const [cx, cy, w, h] = this.x as unknown as [number, number, number, number]
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]
  }

  /** Speed of the centre, px/s. */
  speed(): number {
    return Math.hypot(this.v[0]!, this.v[1]!)
  }
}

function toCxcywh(b: Box): [number, number, number, number] {
  return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, Math.max(b[2] - b[0], 1), Math.max(b[3] - b[1], 1)]
}

export function iou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0])
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1])
  if (iw <= 0 || ih <= 0) return 0
  const inter = iw * ih
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
  return union > 0 ? inter / union : 0
}
