// Parser for the GStreamer Data Protocol stream that `gdppay ! fdsink` writes.
//
// Layout verified against GStreamer 1.22 gdppay output (test/pipeline/units.test.ts
// parses what a real gdppay writes): a 62-byte big-endian header before every payload —
//   0 major (1) · 1 minor (0) · 2 flags · 3 pad · 4–5 payload type (1 buffer, 2 caps,
//   64 + GstEventType for events) · 6–9 payload length · 10–17 PTS (ns, all ones = none) ·
//   18–25 duration · 26–33 offset · 34–41 offset_end · 42–43 buffer flags · 44–51 DTS ·
//   52–57 zero · 58–59 header CRC · 60–61 payload CRC.
// Caps and event payloads are NUL-terminated strings. CRCs are not checked: the pipe is
// local and a corrupt stream shows up as a bad version byte, which ends the child.

export const GDP_HEADER_SIZE = 62
export const GDP_TYPE_BUFFER = 1
export const GDP_TYPE_CAPS = 2
export const GDP_TYPE_EVENT_BASE = 64
/**
 * Largest payload taken: a 4K RGB frame is 25 MB. A garbled header claiming more (up to
 * 4 GiB) is an error, not an allocation: the parser holds at most one payload.
 */
export const GDP_MAX_PAYLOAD = 64 * 1024 * 1024

export type GdpPacket =
  | { kind: 'buffer'; pts: bigint | null; duration: bigint | null; data: Uint8Array }
  | { kind: 'caps'; caps: string }
  | { kind: 'event'; type: number; text: string }

const CLOCK_TIME_NONE = 0xffffffffffffffffn

export class GdpError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'GdpError'
  }
}

/**
 * Incremental parser: feed pipe chunks with push(); complete packets come out in order.
 * Buffer payloads are copied exactly once, into a fresh ArrayBuffer of their own size, so
 * that callers can hand them on by transfer.
 */
export class GdpParser {
  /** A complete header has been read; the payload is being filled. */
  private inPayload = false
  private headerFill = 0
  private readonly headerBuf = Buffer.alloc(GDP_HEADER_SIZE)
  private payload: Uint8Array | null = null
  private payloadFill = 0
  private type = 0
  private pts: bigint | null = null
  private duration: bigint | null = null

  /** Parses `chunk`; calls `emit` for each complete packet. Throws GdpError on garbage. */
  push(chunk: Uint8Array, emit: (p: GdpPacket) => void): void {
    let pos = 0
    while (pos < chunk.length) {
      if (!this.inPayload) {
        const n = Math.min(GDP_HEADER_SIZE - this.headerFill, chunk.length - pos)
        this.headerBuf.set(chunk.subarray(pos, pos + n), this.headerFill)
        this.headerFill += n
        pos += n
        if (this.headerFill < GDP_HEADER_SIZE) return
        this.startPacket()
        if (this.payload === null) {
          this.finishPacket(emit)
          continue
        }
      }
      const payload = this.payload!
      const n = Math.min(payload.length - this.payloadFill, chunk.length - pos)
      payload.set(chunk.subarray(pos, pos + n), this.payloadFill)
      this.payloadFill += n
      pos += n
      if (this.payloadFill === payload.length) this.finishPacket(emit)
    }
  }

  private startPacket(): void {
    const h = this.headerBuf
    if (h[0] !== 1 || h[1] !== 0) {
      throw new GdpError(`not a GDP 1.0 header (version bytes ${h[0]}.${h[1]})`)
    }
    this.inPayload = true
    this.type = h.readUInt16BE(4)
    const len = h.readUInt32BE(6)
    if (len > GDP_MAX_PAYLOAD)
      throw new GdpError(`GDP payload of ${len} bytes (more than ${GDP_MAX_PAYLOAD})`)
    const pts = h.readBigUInt64BE(10)
    const duration = h.readBigUInt64BE(18)
    this.pts = pts === CLOCK_TIME_NONE ? null : pts
    this.duration = duration === CLOCK_TIME_NONE ? null : duration
    this.payload = len > 0 ? new Uint8Array(new ArrayBuffer(len)) : null
    this.payloadFill = 0
  }

  private finishPacket(emit: (p: GdpPacket) => void): void {
    const data = this.payload ?? new Uint8Array(0)
    const type = this.type
    this.inPayload = false
    this.headerFill = 0
    this.payload = null
    this.payloadFill = 0
    if (type === GDP_TYPE_BUFFER) {
      emit({ kind: 'buffer', pts: this.pts, duration: this.duration, data })
    } else if (type === GDP_TYPE_CAPS) {
      emit({ kind: 'caps', caps: cString(data) })
    } else if (type >= GDP_TYPE_EVENT_BASE) {
      emit({ kind: 'event', type: type - GDP_TYPE_EVENT_BASE, text: cString(data) })
    } else {
      throw new GdpError(`unknown GDP payload type ${type}`)
    }
  }
}

function cString(data: Uint8Array): string {
  const end = data.indexOf(0)
  return Buffer.from(data.buffer, data.byteOffset, end < 0 ? data.length : end).toString('utf8')
}
