// Pure units of the ingest: GDP framing (against real gdppay output), caps, pipeline
// descriptions (Jetson strings included), decoder choice, error classification, backoff.
import t from 'tap'
import { GdpError, GdpParser, type GdpPacket } from '../../src/pipeline/gdp.js'
import { parseVideoCaps, rgbStride, sourceCapsFromVerboseLine } from '../../src/pipeline/caps.js'
import { describePipeline, fitSize, splitDescription, quote } from '../../src/pipeline/describe.js'
import {
  chooseVideoDecoder,
  detectVideoDecoders,
  type VideoDecoderInventory,
} from '../../src/pipeline/video-decoders.js'
import { classifyGstError, StderrScanner } from '../../src/pipeline/errors.js'
import { Backoff } from '../../src/pipeline/backoff.js'
import { FpsMeter } from '../../src/pipeline/rate.js'
import { CameraSchema } from '../../src/config/schema.js'
import { gdppay } from '../harness/gdppay.js'

function parseAll(bytes: Buffer, chunk: number): GdpPacket[] {
  const p = new GdpParser()
  const out: GdpPacket[] = []
  for (let i = 0; i < bytes.length; i += chunk) p.push(bytes.subarray(i, i + chunk), (x) => out.push(x))
  return out
}

t.test('GDP parser reads real gdppay output in any chunking', async (t) => {
  const bytes = gdppay(8, 4, 3)
  for (const chunk of [1, 7, 61, 62, 63, 4096]) {
    const packets = parseAll(bytes, chunk)
    const caps = packets.filter((p) => p.kind === 'caps')
    const bufs = packets.flatMap((p) => (p.kind === 'buffer' ? [p] : []))
    t.equal(caps.length, 1, `one caps packet (chunk ${chunk})`)
    t.match(caps[0], { caps: /^video\/x-raw, format=\(string\)RGB, width=\(int\)8, height=\(int\)4/ })
    t.equal(bufs.length, 3)
    t.same(
      bufs.map((b) => b.pts),
      [0n, 200_000_000n, 400_000_000n],
      'PTS in ns, 5 fps',
    )
    t.equal(bufs[0]!.duration, 200_000_000n)
    for (const b of bufs) {
      t.equal(b.data.length, 8 * 4 * 3)
      t.equal(b.data.byteOffset, 0)
      t.equal(b.data.buffer.byteLength, 96, 'payload owns its ArrayBuffer')
    }
    t.ok(
      packets.some((p) => p.kind === 'event' && p.text.startsWith('GstEventStreamStart')),
      'events come through as text',
    )
  }
})

t.test('GDP parser: RGB rows are padded to 4 bytes; garbage is an error', async (t) => {
  const bytes = gdppay(6, 2, 1)
  const buf = parseAll(bytes, 1000).find((p) => p.kind === 'buffer')
  t.equal(rgbStride(6), 20)
  t.equal(buf?.kind === 'buffer' ? buf.data.length : 0, 20 * 2, 'GStreamer pads 18-byte rows to 20')
  t.throws(() => new GdpParser().push(Buffer.alloc(100, 7), () => {}), GdpError)
})

t.test('caps strings', async (t) => {
  t.same(
    parseVideoCaps(
      'video/x-raw, format=(string)RGB, width=(int)416, height=(int)234, framerate=(fraction)15/1, pixel-aspect-ratio=(fraction)1/1',
    ),
    { media: 'video/x-raw', format: 'RGB', width: 416, height: 234, fps: 15 },
  )
  t.equal(parseVideoCaps('audio/x-raw, rate=(int)8000'), null)
  t.same(
    sourceCapsFromVerboseLine(
      '/GstPipeline:pipeline0/GstVideoRate:ewsource.GstPad:sink: caps = video/x-raw, format=(string)I420, width=(int)1920, height=(int)1080, framerate=(fraction)0/1',
    ),
    { media: 'video/x-raw', format: 'I420', width: 1920, height: 1080, fps: null },
  )
  t.equal(
    sourceCapsFromVerboseLine(
      '/GstPipeline:pipeline0/GstVideoRate:ewsource.GstPad:src: caps = video/x-raw, width=(int)1, height=(int)1',
    ),
    null,
    'only the sink pad (before any scaling) counts',
  )
})

t.test('fitSize keeps the aspect ratio, fills one side, even numbers', async (t) => {
  const T = { width: 416, height: 416 }
  t.same(fitSize({ width: 1920, height: 1080 }, T), { width: 416, height: 234 })
  t.same(fitSize({ width: 1280, height: 720 }, T), { width: 416, height: 234 })
  t.same(fitSize({ width: 320, height: 240 }, T), { width: 416, height: 312 })
  t.same(fitSize({ width: 480, height: 640 }, T), { width: 312, height: 416 })
  t.same(fitSize({ width: 640, height: 480 }, { width: 640, height: 384 }), { width: 512, height: 384 })
})

const cam = (over: Record<string, unknown>) => CameraSchema.parse(over)
const cpu = chooseVideoDecoder('cpu', { families: { cpu: ['avdec_h264', 'avdec_h265'] } })
const target = { width: 416, height: 416 }

t.test('pipeline descriptions', async (t) => {
  const rtsp = describePipeline(cam({ url: 'rtsp://admin:s3 cr"et@192.0.2.10:8554/stream1' }), {
    maxFps: 5,
    target,
    decoder: cpu,
  })
  t.equal(
    rtsp.description,
    'rtspsrc name=ewrtsp location="rtsp://192.0.2.10:8554/stream1" protocols=tcp latency=200 drop-on-latency=true ' +
      '! decodebin ! videorate name=ewsource drop-only=true max-rate=5 ! ' +
      'queue leaky=downstream max-size-buffers=1 max-size-bytes=0 max-size-time=0 ! ' +
      'videoscale name=ewgate ! videoconvert ! video/x-raw,format=RGB,width=[2,416],height=[2,416],pixel-aspect-ratio=1/1 ! ' +
      'gdppay ! fdsink fd=3 sync=false async=false',
    'no credentials in the description; surplus frames leave the leaky queue before the scaler (the gate)',
  )
  t.equal(rtsp.flow, 'gate', 'a live camera drops what finds no credit')
  t.same(rtsp.credentials, { user: 'admin', password: 's3 cr"et' })
  t.equal(rtsp.args.length, splitDescription(rtsp.description).length)
  t.same(rtsp.env, { GST_PLUGIN_FEATURE_RANK: 'avdec_h264:MAX,avdec_h265:MAX' })
  t.equal(rtsp.kind, 'rtsp')

  const udp = describePipeline(cam({ url: 'rtsp://cam.local/x', transport: 'udp' }), {
    maxFps: 2,
    target,
    decoder: cpu,
  })
  t.match(udp.description, /^rtspsrc location="rtsp:\/\/cam.local\/x" protocols=udp /)
  t.notMatch(udp.description, /user-id|ewrtsp/)
  t.equal(udp.credentials, null)

  const file = describePipeline(cam({ url: 'file:///srv/clips/a%20b.mp4' }), {
    maxFps: 10,
    target,
    decoder: cpu,
    scaleTo: { width: 416, height: 234 },
  })
  t.match(file.description, /^filesrc location="\/srv\/clips\/a b\.mp4" ! decodebin ! /)
  t.match(
    file.description,
    /! videorate name=ewsource drop-only=true max-rate=10 ! clocksync ! queue leaky=downstream .* ! videoscale name=ewgate ! /,
    'a file at real time is paced before the leaky queue',
  )
  t.match(
    file.description,
    /width=416,height=234,pixel-aspect-ratio=1\/1 ! gdppay ! fdsink fd=3 sync=false async=false$/,
  )
  t.equal(file.live, false)
  t.equal(file.flow, 'gate')
  const batch = describePipeline(cam({ url: 'file:///a.mkv', realtime: false }), {
    maxFps: 10,
    target,
    decoder: cpu,
  })
  t.match(
    batch.description,
    /max-rate=10 ! videoscale name=ewgate ! .* ! gdppay ! fdsink fd=3 sync=false async=false$/,
    'realtime: false runs as fast as the model: no pacing, no leaky queue',
  )
  t.notMatch(batch.description, /queue|clocksync/)
  t.equal(batch.flow, 'block', 'it waits at the gate for a credit')

  const v4l2 = describePipeline(cam({ url: 'v4l2:///dev/video0' }), { maxFps: 10, target, decoder: cpu })
  t.match(v4l2.description, /^v4l2src device="\/dev\/video0" ! decodebin ! videorate/)

  const custom = describePipeline(
    cam({ pipeline: 'videotestsrc pattern=ball ! video/x-raw,width=64,height=48' }),
    {
      maxFps: 3,
      target,
      decoder: cpu,
    },
  )
  t.match(
    custom.description,
    /^videotestsrc pattern=ball ! video\/x-raw,width=64,height=48 ! videorate name=ewsource/,
  )
})

t.test('Jetson pipeline strings (NVIDIA Accelerated GStreamer guide)', async (t) => {
  const inv: VideoDecoderInventory = { families: { cpu: [], nvv4l2: ['nvv4l2decoder', 'nvvidconv'] } }
  const dec = chooseVideoDecoder('auto', inv)
  t.same(dec, {
    family: 'nvv4l2',
    elements: ['nvv4l2decoder', 'nvvidconv'],
    label: 'nvv4l2 (nvv4l2decoder + nvvidconv)',
  })
  const p = describePipeline(cam({ url: 'rtsp://10.0.0.5/h265' }), { maxFps: 10, target, decoder: dec })
  t.equal(
    p.description,
    'rtspsrc location="rtsp://10.0.0.5/h265" protocols=tcp latency=200 drop-on-latency=true ! parsebin ! ' +
      'nvv4l2decoder ! videorate name=ewsource drop-only=true max-rate=10 ! ' +
      'queue leaky=downstream max-size-buffers=1 max-size-bytes=0 max-size-time=0 ! nvvidconv name=ewgate ! ' +
      'video/x-raw,format=RGBA,width=[2,416],height=[2,416],pixel-aspect-ratio=1/1 ! videoconvert ! ' +
      'video/x-raw,format=RGB ! gdppay ! fdsink fd=3 sync=false async=false',
  )
  t.same(p.env, {}, 'no rank overrides: the chain names its elements')
  const file = describePipeline(cam({ url: 'file:///clip.mp4' }), { maxFps: 10, target, decoder: dec })
  t.match(file.description, /^filesrc location="\/clip.mp4" ! parsebin ! nvv4l2decoder ! /)
})

t.test('decoder detection and choice', async (t) => {
  const present = new Set(['vaapih264dec', 'v4l2slh264dec'])
  const inv = await detectVideoDecoders(async (el) => present.has(el))
  t.same(inv.families, {
    cpu: ['avdec_h264', 'avdec_h265'],
    vaapi: ['vaapih264dec'],
    v4l2: ['v4l2slh264dec'],
  })
  t.equal(chooseVideoDecoder('auto', inv).label, 'vaapi (vaapih264dec)', 'auto prefers VA-API over V4L2')
  const vaapi = describePipeline(cam({ url: 'rtsp://h/x', decoder: 'vaapi' }), {
    maxFps: 5,
    target,
    decoder: chooseVideoDecoder('vaapi', inv),
  })
  t.same(vaapi.env, { GST_PLUGIN_FEATURE_RANK: 'vaapih264dec:MAX,vaapih265dec:MAX' })
  t.equal(chooseVideoDecoder('cpu', inv).label, 'cpu (avdec)')
  t.equal(
    chooseVideoDecoder('nvv4l2', inv).label,
    'cpu (avdec, nvv4l2 not found)',
    'a missing family falls back to CPU',
  )
  const none = await detectVideoDecoders(async () => false)
  t.same(none.families, { cpu: ['avdec_h264', 'avdec_h265'] })
  t.equal(chooseVideoDecoder('auto', none).family, 'cpu')
  const real = await detectVideoDecoders()
  t.ok(real.families.cpu, 'this machine: CPU decoding at least')
})

t.test('gst-launch errors become short reasons', async (t) => {
  const block = (first: string, detail: string) =>
    `ERROR: from element /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0: ${first}\nAdditional debug info:\n../gst/rtsp/gstrtspsrc.c(6899): gst_rtspsrc_send (): /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0:\n${detail}`
  t.match(classifyGstError(block('Unauthorized', 'Unauthorized (401)')), {
    permanent: true,
    reason: /^unauthorized \(401\)/,
  })
  t.match(classifyGstError(block('Not found', 'Not Found (404)')), {
    permanent: true,
    reason: /^not found \(404\)/,
  })
  t.match(
    classifyGstError(
      block('Could not open resource for reading and writing.', 'Failed to connect. (Generic error)'),
    ),
    { permanent: false, unreachable: true, reason: /cannot connect/ },
  )
  t.match(
    classifyGstError(block('Internal data stream error.', 'streaming stopped, reason not-linked (-1)')),
    {
      permanent: true,
      reason: /no video/,
    },
  )
  t.match(
    classifyGstError(
      'ERROR: from element /GstPipeline:pipeline0/GstFoo:foo0: Something odd at rtsp://u:pw@h/x',
    ),
    { reason: 'Something odd at rtsp://u:***@h/x' },
    'unknown errors keep their text, credentials redacted',
  )
  const blocks: string[] = []
  const s = new StderrScanner((b) => blocks.push(b))
  s.push('ERROR: from element /a: Unauthorized\nAdditional deb')
  s.push("ug info:\ndetail (401)\nERROR: pipeline doesn't want to preroll.\n")
  s.push('ERROR: from element /b: second\n')
  s.end()
  t.equal(blocks.length, 2)
  t.equal(blocks[0], 'ERROR: from element /a: Unauthorized\nAdditional debug info:\ndetail (401)')
  t.equal(blocks[1], 'ERROR: from element /b: second')
})

t.test('backoff doubles to a cap with jitter, permanent faults wait the cap', async (t) => {
  const b = new Backoff({ initialMs: 1000, maxMs: 30_000, jitter: 0.2, resetAfterMs: 30_000 }, () => 0.5)
  t.same(
    Array.from({ length: 7 }, () => b.next()),
    [1000, 2000, 4000, 8000, 16000, 30000, 30000],
  )
  b.streamed(5000)
  t.equal(b.next(), 30000, 'a short run does not reset')
  b.streamed(30_000)
  t.equal(b.next(), 1000, 'a stable run resets')
  t.equal(b.next(true), 30000)
  const low = new Backoff({ initialMs: 1000, maxMs: 30_000, jitter: 0.2, resetAfterMs: 1 }, () => 0)
  const high = new Backoff({ initialMs: 1000, maxMs: 30_000, jitter: 0.2, resetAfterMs: 1 }, () => 1)
  t.equal(low.next(), 800)
  t.equal(high.next(), 1200)
})

t.test('fps meter', async (t) => {
  const m = new FpsMeter(5000)
  for (let i = 0; i <= 50; i++) m.tick(i * 100)
  t.equal(m.rate(5000), 10)
  t.ok(m.rate(9000) < 10, 'falls while silent')
  t.equal(m.rate(20_000), 0)
})

t.test('quote escapes for the gst-launch parser', async (t) => {
  t.equal(quote('a"b\\c'), '"a\\"b\\\\c"')
})
