// Flow control of one camera (pipeline/README.md, "Flow control"): the camera has one slot
// downstream, the runtime's waiting frame. Its child gets one frame credit when that slot
// is free and no credit is out; each delivered frame carries release(), which its consumer
// calls when the frame leaves the slot. So the child scales, converts and pipes only frames
// that will be inferred; a live source drops its surplus before the scaler (describe.ts).
import type { Frame } from './frame.js'

export class FrameCredits {
  /** The delivered frame not yet released, and since when. */
  private slot: Frame | null = null
  private heldAt = 0
  /** Credits the current child has and has not used. */
  private out = 0
  /** When the slot was last freed: the child's silence before that is not a stall. */
  freedAt = 0

  /** grant() writes one credit to the child; false when there is no child to take it. */
  constructor(private readonly opts: { now: () => number; grant: () => boolean }) {}

  /** A new child: it has no credit yet. */
  newChild(): void {
    this.out = 0
    this.maybeGrant()
  }

  /** A buffer came out of the child: it used a credit. */
  used(): void {
    if (this.out > 0) this.out--
    this.maybeGrant()
  }

  /** `frame` was delivered: it holds the slot until its consumer releases it. */
  hold(frame: Frame): void {
    this.slot = frame
    this.heldAt = this.opts.now()
    frame.release = () => {
      if (this.slot === frame) this.free()
    }
  }

  /**
   * A frame held longer than `limitMs` frees the slot anyway: while a model loads for
   * minutes, the next frame then takes the waiting one's place (it is fresher), and a
   * frame whose release() was lost cannot stop the camera for good.
   */
  expire(limitMs: number): void {
    if (this.slot !== null && this.opts.now() - this.heldAt >= limitMs) this.free()
  }

  private free(): void {
    this.slot = null
    this.freedAt = this.opts.now()
    this.maybeGrant()
  }

  /** A frame waits for the model: the child is held back, not stalled. */
  get holding(): boolean {
    return this.slot !== null
  }

  private maybeGrant(): void {
    if (this.out > 0 || this.slot !== null) return
    if (this.opts.grant()) this.out++
  }
}
