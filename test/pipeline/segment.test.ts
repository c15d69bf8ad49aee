// Frame pts is stream time: a buffer's running-time PTS mapped through the SEGMENT event.
import t from 'tap'
import { parseSegmentEvent, streamTimeSeconds } from '../../src/pipeline/segment.js'

// As gdppay serializes the SEGMENT that rtspsrc sends for a file served from its start.
const RTSP_FILE_SEGMENT =
  'GstEventSegment, segment=(GstSegment)"segment, flags=(GstSegmentFlags)GST_SEGMENT_FLAG_NONE, rate=(double)1, ' +
  'applied-rate=(double)1, format=(GstFormat)time, base=(guint64)47111216, offset=(guint64)0, start=(guint64)47111216, ' +
  'stop=(guint64)45047111216, time=(guint64)0, position=(guint64)47111216, duration=(guint64)18446744073709551615;";'

t.test('parses a time segment', async (t) => {
  t.same(parseSegmentEvent(RTSP_FILE_SEGMENT), { start: 47111216n, time: 0n, appliedRate: 1 })
  t.equal(parseSegmentEvent('GstEventCaps, caps=(GstCaps)"video/x-raw"'), null)
  t.equal(
    parseSegmentEvent(RTSP_FILE_SEGMENT.replace('format=(GstFormat)time', 'format=(GstFormat)bytes')),
    null,
  )
})

t.test('stream time is the position in the file', async (t) => {
  const seg = parseSegmentEvent(RTSP_FILE_SEGMENT)
  t.equal(streamTimeSeconds(47111216n, seg), 0)
  t.ok(Math.abs(streamTimeSeconds(47111216n + 1_000_000_000n, seg) - 1) < 1e-9)
  t.equal(streamTimeSeconds(2_000_000_000n, null), 2, 'no segment: PTS as is')
})

t.test('a segment that starts later in the stream (seek or loop) keeps stream time', async (t) => {
  const seg = parseSegmentEvent(RTSP_FILE_SEGMENT.replace('time=(guint64)0', 'time=(guint64)10000000000'))
  t.ok(Math.abs(streamTimeSeconds(47111216n + 500_000_000n, seg) - 10.5) < 1e-9)
})
