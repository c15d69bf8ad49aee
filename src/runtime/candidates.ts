// Detections before NMS, in model-input pixels, kept in reused typed arrays so the hot
// path allocates nothing once the buffers have grown to the model's candidate count.

export class Candidates {
  count = 0
  /** x1, y1, x2, y2 per candidate. */
  boxes: Float32Array
  scores: Float32Array
  classes: Int32Array

  constructor(capacity = 256) {
    this.boxes = new Float32Array(capacity * 4)
    this.scores = new Float32Array(capacity)
    this.classes = new Int32Array(capacity)
  }

  reset(): void {
    this.count = 0
  }

  push(x1: number, y1: number, x2: number, y2: number, score: number, cls: number): void {
    if (this.count === this.scores.length) this.grow()
    const i = this.count++
    const b = i * 4
    this.boxes[b] = x1
    this.boxes[b + 1] = y1
    this.boxes[b + 2] = x2
    this.boxes[b + 3] = y2
    this.scores[i] = score
    this.classes[i] = cls
  }

  private grow(): void {
    const cap = this.scores.length * 2
    const boxes = new Float32Array(cap * 4)
    boxes.set(this.boxes)
    const scores = new Float32Array(cap)
    scores.set(this.scores)
    const classes = new Int32Array(cap)
    classes.set(this.classes)
    this.boxes = boxes
    this.scores = scores
    this.classes = classes
  }
}
