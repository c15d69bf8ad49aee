// Stream time from GStreamer segments. A buffer's PTS is in running time of the child's
// pipeline (for RTSP it starts when the first packet arrived), but the contract's `pts`
// is the stream timestamp — for a file, the position in the file. GStreamer gives the
// mapping in the SEGMENT event that gdppay serializes before the buffers:
//   stream_time = time + (pts − start) · |applied_rate|   (for pts ≥ start)

export interface Segment {
  start: bigint
  time: bigint
  appliedRate: number
}

const FIELD = (name: string) => new RegExp(`\\b${name}=\\(g?u?int64\\)(\\d+)`)

/** Parses the text of a serialized SEGMENT event (GstEventSegment, segment=(GstSegment)"…"). */
export function parseSegmentEvent(text: string): Segment | null {
  if (!text.startsWith('GstEventSegment')) return null
  if (!/format=\(GstFormat\)time/.test(text)) return null
  const start = FIELD('start').exec(text)
  const time = FIELD('time').exec(text)
  if (!start || !time) return null
  const rate = /applied-rate=\(double\)([-\d.e]+)/.exec(text)
  return {
    start: BigInt(start[1]!),
    time: BigInt(time[1]!),
    appliedRate: rate ? Math.abs(Number(rate[1])) || 1 : 1,
  }
}

/** Stream time in seconds of a buffer PTS (ns), or the PTS itself when there is no segment. */
export function streamTimeSeconds(pts: bigint, segment: Segment | null): number {
  if (segment === null || pts < segment.start) return Number(pts) / 1e9
  const offset = Number(pts - segment.start) * segment.appliedRate
  return (Number(segment.time) + offset) / 1e9
}
