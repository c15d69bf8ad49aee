// Size negotiation of one camera's child. The scaled (output) size comes in GDP caps
// packets on fd 3; the source (decoded, pre-scale) size in `-v` notify lines on fd 1. The
// child writes them in that order but we may read them in either: after a caps packet,
// frames wait (at most SOURCE_WAIT_MS, latest only) for the matching source line, so that
// boxes are mapped back with the right source size. Once the source size is known, the
// child must restart with an exact size when videoscale's own fixation cannot give it
// (sources smaller than the model input, or a change to another aspect ratio).
import type { Logger } from '../log/logger.js'
import type { Frame } from './frame.js'
import { parseVideoCaps, rgbStride, sourceCapsFromVerboseLine } from './caps.js'
import { fitSize } from './describe.js'

/** How long frames wait for the source size after a caps change. */
export const SOURCE_WAIT_MS = 1000

type Size = { width: number; height: number }

export interface FrameSizesOptions {
  target: Size
  log: Logger
  now: () => number
  /** A held frame goes on (its source size is now known, or the wait ended). */
  release: (frame: Frame) => void
  /** The child must restart with this exact output size. */
  rescale: (size: Size) => void
}

export class FrameSizes {
  /** Decoded size, from the `-v` lines; null until the first one. */
  source: Size | null = null
  /** Output size of the running child, from its caps packets; null until the first. */
  scaled: Size | null = null
  /** Exact output size the child is (re)started with, once a source size is known. */
  scaleTo: Size | null = null
  private sourceLines = 0
  private sourceLinesAtCaps = 0
  private waitUntil = 0
  private held: Frame | null = null
  private heldTimer: NodeJS.Timeout | null = null

  constructor(private readonly opts: FrameSizesOptions) {}

  /** A new child starts: it announces its caps again. */
  newChild(): void {
    this.clear()
    this.scaled = null
    this.sourceLines = this.sourceLinesAtCaps = 0
  }

  clear(): void {
    if (this.heldTimer) clearTimeout(this.heldTimer)
    this.heldTimer = null
    this.held = null
    this.waitUntil = 0
  }

  onCaps(caps: string): void {
    const v = parseVideoCaps(caps)
    if (!v) return
    this.scaled = { width: v.width, height: v.height }
    if (this.sourceLines === this.sourceLinesAtCaps) {
      this.waitUntil = this.opts.now() + SOURCE_WAIT_MS
      if (this.heldTimer) clearTimeout(this.heldTimer)
      this.heldTimer = setTimeout(() => this.releaseHeld(), SOURCE_WAIT_MS)
    }
    this.sourceLinesAtCaps = this.sourceLines
  }

  onVerboseLine(line: string): void {
    const v = sourceCapsFromVerboseLine(line)
    if (!v) return
    const prev = this.source
    if (prev !== null && (prev.width !== v.width || prev.height !== v.height)) {
      this.opts.log.info(
        { from: prev, to: { width: v.width, height: v.height } },
        'camera changed resolution',
      )
    }
    this.source = { width: v.width, height: v.height }
    this.sourceLines++
    const want = fitSize(this.source, this.opts.target)
    const have = this.scaleTo ?? this.scaled
    if (!have || have.width !== want.width || have.height !== want.height) {
      // videoscale fixates to the largest fitting size but never scales up.
      const downscaleFits = this.source.width >= want.width && this.source.height >= want.height
      if (this.scaleTo || !downscaleFits) {
        this.scaleTo = want
        this.clear()
        this.opts.log.info({ source: this.source, frame: want }, 'restarting pipeline with a new output size')
        this.opts.rescale(want)
        return
      }
    }
    if (this.waitUntil > 0) this.releaseHeld()
  }

  /**
   * The pixels of a buffer of the current caps, rows tightly packed, or null when the
   * buffer does not have the size its caps announced.
   */
  pixels(data: Uint8Array): Uint8Array | null {
    if (this.scaled === null) return null
    const { width, height } = this.scaled
    if (data.length === width * height * 3) return data
    // GStreamer pads RGB rows to 4 bytes: pack them tightly.
    if (data.length !== rgbStride(width) * height) return null
    return packRows(data, width, height)
  }

  /**
   * A new frame: 'deliver' it now, or it is 'held' until the source size is known
   * ('replaced' when it took the place of an earlier held frame, which is then dropped).
   */
  admit(frame: Frame): 'deliver' | 'held' | 'replaced' {
    if (this.opts.now() >= this.waitUntil) return 'deliver'
    const replaced = this.held !== null
    this.held = frame
    return replaced ? 'replaced' : 'held'
  }

  private releaseHeld(): void {
    const f = this.held
    this.clear()
    if (!f) return
    if (this.source) {
      f.sourceWidth = this.source.width
      f.sourceHeight = this.source.height
    }
    this.opts.release(f)
  }
}

function packRows(data: Uint8Array, width: number, height: number): Uint8Array {
  const row = width * 3
  const stride = rgbStride(width)
  const out = new Uint8Array(new ArrayBuffer(row * height))
  for (let y = 0; y < height; y++) out.set(data.subarray(y * stride, y * stride + row), y * row)
  return out
}
