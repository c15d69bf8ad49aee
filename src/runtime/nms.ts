// Greedy non-maximum suppression over Candidates (already filtered by score), per class
// unless class-agnostic. Scratch buffers are reused between calls.
import type { Candidates } from './candidates.js'

export class Nms {
  private order = new Int32Array(256)
  private kept = new Int32Array(256)

  /** Returns the number of kept candidates; their indices are in keptIndices(), best first. */
  run(c: Candidates, iou: number, classAgnostic: boolean, maxDetections: number): number {
    const n = c.count
    if (n === 0) return 0
    if (this.order.length < n) this.order = new Int32Array(Math.max(n, this.order.length * 2))
    if (this.kept.length < maxDetections) this.kept = new Int32Array(maxDetections)
    const order = this.order.subarray(0, n)
    for (let i = 0; i < n; i++) order[i] = i
    const scores = c.scores
    order.sort((a, b) => scores[b]! - scores[a]! || a - b)
    const boxes = c.boxes
    const classes = c.classes
    const kept = this.kept
    let k = 0
    for (let oi = 0; oi < n && k < maxDetections; oi++) {
      const i = order[oi]!
      const ax1 = boxes[i * 4]!
      const ay1 = boxes[i * 4 + 1]!
      const ax2 = boxes[i * 4 + 2]!
      const ay2 = boxes[i * 4 + 3]!
      const areaA = Math.max(0, ax2 - ax1) * Math.max(0, ay2 - ay1)
      let suppressed = false
      for (let ki = 0; ki < k; ki++) {
        const j = kept[ki]!
        if (!classAgnostic && classes[j] !== classes[i]) continue
        const bx1 = boxes[j * 4]!
        const by1 = boxes[j * 4 + 1]!
        const bx2 = boxes[j * 4 + 2]!
        const by2 = boxes[j * 4 + 3]!
        const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1)
        if (iw <= 0) continue
        const ih = Math.min(ay2, by2) - Math.max(ay1, by1)
        if (ih <= 0) continue
        const inter = iw * ih
        const areaB = Math.max(0, bx2 - bx1) * Math.max(0, by2 - by1)
        if (inter / (areaA + areaB - inter) > iou) {
          suppressed = true
          break
        }
      }
      if (!suppressed) kept[k++] = i
    }
    return k
  }

  keptIndices(): Int32Array {
    return this.kept
  }
}
