// The HTTP side in isolation: Prometheus rendering (checked with a real parser), box
// drawing and JPEG encoding (decoded again with jpeg-js), frame snapshots paired with
// their results, and the server's routes over real loopback HTTP with a small provider.
import t from 'tap'
import vm from 'node:vm'
import jpeg from 'jpeg-js'
import { pino } from 'pino'
import { PrometheusText } from '../../src/service/prometheus.js'
import { drawDetections, encodeJpeg, colourFor, BOX_THICKNESS } from '../../src/service/annotate.js'
import { FrameSnapshots } from '../../src/service/snapshots.js'
import { StatusHttpServer, type HttpProvider } from '../../src/service/http-server.js'
import { renderMetrics } from '../../src/service/metrics.js'
import type { DaemonStatus } from '../../src/service/status-model.js'
import type { Frame } from '../../src/pipeline/frame.js'
import { checkPrometheusText } from './prom-check.js'

const log = pino({ level: 'silent' })

t.test('prometheus text: escaping, histogram, parses', async (t) => {
  const text = new PrometheusText()
    .gauge('x_gauge', 'a "gauge"\nwith newline \\ backslash', [
      { labels: { camera: 'a"b\\c\nd' }, value: 1.5 },
      { labels: { camera: 'plain' }, value: NaN },
    ])
    .counter('x_total', 'a counter', 7)
    .histogram('x_seconds', 'latency', { le: [0.005, 0.01, 0.1], counts: [1, 3, 3], sum: 0.04, count: 4 })
    .toString()
  const fams = checkPrometheusText(text)
  t.match(text, 'x_gauge{camera="a\\"b\\\\c\\nd"} 1.5')
  t.match(text, 'x_seconds_bucket{le="+Inf"} 4')
  const g = fams.find((f) => f.name === 'x_gauge')!
  t.equal(g.type, 'GAUGE')
  t.equal(g.metrics[0]!.labels!.camera, 'a"b\\c\nd', 'label round-trips through the parser')
  const h = fams.find((f) => f.name === 'x_seconds')!
  t.equal(h.metrics[0]!.count, '4')
  t.throws(() => new PrometheusText().gauge('bad-name', 'x', 1))
})

function daemonStatus(): DaemonStatus {
  return {
    now: 10_000,
    pid: 1,
    version: '0.1.0',
    device: 'dev-1',
    config: '/etc/x.yaml',
    state: 'running',
    startedAt: 5_000,
    model: {
      model: 'm',
      path: '/m.onnx',
      provider: 'cpu',
      input: { width: 64, height: 64 },
      batch: 1,
      labels: ['a'],
      format: 'yolox',
    },
    inference: {
      submitted: 10,
      processed: 8,
      dropped: 2,
      batches: 8,
      last_ms: 3,
      p50_ms: 3,
      p99_ms: 9,
      histogram: { le: [5, 10, 20], counts: [6, 8, 8], sum: 30, count: 8 },
      busy: false,
      lastProgressAt: 0,
      queued: 0,
    },
    cameras: {
      gate: {
        state: 'streaming',
        last_error: null,
        decoder: 'avdec_h264',
        frames: { received: 20, delivered: 10, dropped: 10 },
        fps_in: 10,
        fps_delivered: 5,
        restarts: 1,
        last_frame_age: 0.1,
        source: { width: 320, height: 240 },
      },
      'yard.2': {
        state: 'backoff',
        last_error: 'rtsp://u:secret@h/x: "refused"',
        decoder: 'auto',
        frames: { received: 0, delivered: 0, dropped: 0 },
        fps_in: 0,
        fps_delivered: 0,
        restarts: 3,
        last_frame_age: null,
        source: null,
      },
    },
    counters: { gate: { submitted: 10, processed: 8, fps: 4.5, latency_ms: 42.5, latest: null } },
    store: {
      detections_written: 5,
      messages_written: 8,
      write_failures: 0,
      outbox_backlog: 2,
      outbox_dropped: 0,
      db_bytes: 4096,
      last_error: null,
      commit_ms_p99: 1,
    },
    mqtt: {
      connected: true,
      published: 6,
      inflight: 0,
      backlog: 2,
      reconnects: 0,
      last_error: null,
      live_sent: 0,
    },
    health: { healthy: true, reasons: [], warnings: [] },
    loop: { lagMs: 2, mean: 0.01, p99: 0.02, max: 0.03 },
    rssBytes: 100_000_000,
    redact: (s) => s.replace(/:[^:@/]+@/, ':***@'),
  }
}

t.test('metrics: the daemon snapshot renders and parses, per camera and histogram', async (t) => {
  const text = renderMetrics(daemonStatus())
  const fams = checkPrometheusText(text)
  const names = fams.map((f) => f.name)
  for (const n of [
    'edgewatch_camera_fps_in',
    'edgewatch_camera_fps_processed',
    'edgewatch_camera_frames_dropped_total',
    'edgewatch_camera_restarts_total',
    'edgewatch_inference_duration_seconds',
    'edgewatch_execution_provider',
    'edgewatch_outbox_backlog',
    'edgewatch_outbox_dropped_total',
    'edgewatch_db_size_bytes',
    'edgewatch_event_loop_lag_seconds',
    'edgewatch_resident_memory_bytes',
  ])
    t.ok(names.includes(n), n)
  t.match(text, 'edgewatch_camera_frames_processed_total{camera="gate"} 8')
  t.match(text, 'edgewatch_camera_frames_processed_total{camera="yard.2"} 0')
  t.match(text, 'edgewatch_inference_duration_seconds_bucket{le="0.005"} 6')
  t.match(text, 'edgewatch_inference_duration_seconds_bucket{le="+Inf"} 8')
  t.match(text, 'edgewatch_execution_provider{provider="cpu"} 1')
})

function testImage(w: number, h: number): Uint8Array {
  const rgb = new Uint8Array(w * h * 3)
  for (let i = 0; i < rgb.length; i += 3) {
    rgb[i] = 30
    rgb[i + 1] = 30
    rgb[i + 2] = 30
  }
  return rgb
}

function pixel(img: { data: Uint8Array; width: number }, x: number, y: number): number[] {
  const i = (y * img.width + x) * 4
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!]
}

function near(a: number[], b: readonly number[], tol = 40): boolean {
  return a.every((v, i) => Math.abs(v - b[i]!) <= tol)
}

t.test('annotate: boxes are drawn where the detections are, JPEG decodes', async (t) => {
  const w = 160
  const h = 120
  const objects = [
    { label: 'person', class: 0, score: 0.91, box: [40, 30, 100, 90] as const },
    { label: 'car', class: 1, score: 0.5, box: [2, 2, 50, 40] as const },
  ]
  const rgba = drawDetections(testImage(w, h), w, h, objects)
  const buf = encodeJpeg(rgba, w, h, 90)
  t.equal(buf[0], 0xff)
  t.equal(buf[1], 0xd8, 'JPEG SOI marker')
  const img = jpeg.decode(buf, { useTArray: true })
  t.equal(img.width, w)
  t.equal(img.height, h)
  const red = colourFor(0)
  // Middle of each edge of the person box (inside the 2 px outline).
  t.ok(near(pixel(img, 70, 30 + Math.floor(BOX_THICKNESS / 2)), red), 'top edge')
  t.ok(near(pixel(img, 70, 90), red), 'bottom edge')
  t.ok(near(pixel(img, 40, 60), red), 'left edge')
  t.ok(near(pixel(img, 100, 60), red), 'right edge')
  t.ok(near(pixel(img, 70, 60), [30, 30, 30]), 'inside stays the picture')
  t.ok(near(pixel(img, 120, 100), [30, 30, 30]), 'outside stays the picture')
  t.ok(near(pixel(img, 25, 40), colourFor(1)), 'second box bottom edge in its own colour')
})

function frame(camera: string, seq: number, w = 64, h = 48): Frame {
  return {
    camera,
    seq,
    pts: seq / 10,
    ts: 1000 + seq,
    width: w,
    height: h,
    sourceWidth: w * 2,
    sourceHeight: h * 2,
    data: testImage(w, h),
  }
}

t.test('snapshots: copies are paired with their results and boxes are scaled', async (t) => {
  let now = 0
  const s = new FrameSnapshots({ now: () => now, idleIntervalMs: 1000, watchedIntervalMs: 100, minWidth: 1 })
  s.offer(frame('a', 1))
  now += 50
  s.offer(frame('a', 2)) // not copied: too soon
  t.equal(s.latest('a'), null, 'nothing before a result')
  s.onResult({
    camera: 'a',
    frameSeq: 2,
    pts: 0,
    ts: 0,
    frame: { width: 128, height: 96 },
    model: 'm',
    inference_ms: 1,
    objects: [],
  })
  t.equal(s.latest('a'), null, 'no copy of frame 2')
  s.onResult({
    camera: 'a',
    frameSeq: 1,
    pts: 0,
    ts: 0,
    frame: { width: 128, height: 96 },
    model: 'm',
    inference_ms: 1,
    objects: [{ label: 'x', class: 0, score: 0.9, box: [20, 20, 100, 80] }],
  })
  t.equal(s.latest('a'), null, 'older copy dropped once a newer result came')
  now += 2000
  s.offer(frame('a', 3))
  s.onResult({
    camera: 'a',
    frameSeq: 3,
    pts: 0,
    ts: 0,
    frame: { width: 128, height: 96 },
    model: 'm',
    inference_ms: 1,
    objects: [{ label: 'x', class: 0, score: 0.9, box: [20, 20, 100, 80] }],
  })
  const img = s.latest('a')!
  t.equal(img.frameSeq, 3)
  t.same(img.objects[0]!.box, [10, 10, 50, 40], 'source pixels scaled to the frame')
  t.ok(img.jpeg.length > 100)
  s.watch('a')
  now += 150
  s.offer(frame('a', 4))
  s.onResult({
    camera: 'a',
    frameSeq: 4,
    pts: 0,
    ts: 0,
    frame: { width: 128, height: 96 },
    model: 'm',
    inference_ms: 1,
    objects: [],
  })
  t.equal(s.latest('a')!.frameSeq, 4, 'watched cameras are copied more often')
})

t.test('http server: routes, status codes, loopback-only reload', async (t) => {
  let healthy = true
  const jpegBytes = encodeJpeg(drawDetections(testImage(8, 8), 8, 8, []), 8, 8)
  let reloads = 0
  const provider: HttpProvider = {
    health: () => ({ healthy, reasons: healthy ? [] : ['worker hung'], warnings: [] }),
    metrics: () => '# HELP a b\n# TYPE a gauge\na 1\n',
    status: () => ({ cameras: {} }),
    latestImage: (c) =>
      c === 'gate'
        ? { jpeg: jpegBytes, frameSeq: 5, width: 8, height: 8, objects: [], ts: 1 }
        : c === 'new'
          ? null
          : undefined,
    reload: async () => ({ ok: reloads++ === 0, applied: [], needs_restart: [], errors: [] }),
  }
  const server = new StatusHttpServer({ listen: '127.0.0.1:0', log, provider })
  await server.start()
  t.teardown(() => server.stop())
  const base = `http://127.0.0.1:${server.address()!.port}`
  let r = await fetch(`${base}/healthz`)
  t.equal(r.status, 200)
  t.match(await r.json(), { status: 'ok', healthy: true })
  healthy = false
  r = await fetch(`${base}/healthz`)
  t.equal(r.status, 503)
  t.match(await r.json(), { status: 'unhealthy', reasons: ['worker hung'] })
  r = await fetch(`${base}/metrics`)
  t.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  r = await fetch(`${base}/cameras/gate/latest.jpg`)
  t.equal(r.headers.get('content-type'), 'image/jpeg')
  t.equal(r.headers.get('x-frame-seq'), '5')
  t.same(Buffer.from(await r.arrayBuffer()), jpegBytes)
  t.equal((await fetch(`${base}/cameras/new/latest.jpg`)).status, 503)
  t.equal((await fetch(`${base}/cameras/nope/latest.jpg`)).status, 404)
  t.equal((await fetch(`${base}/nothing`)).status, 404)
  r = await fetch(`${base}/`)
  const page = await r.text()
  t.match(page, '<title>edgewatch</title>')
  // The page's script at least compiles (no build step checks it otherwise).
  const script = /<script>([\s\S]*)<\/script>/.exec(page)![1]!
  t.doesNotThrow(() => new vm.Script(script), 'status page script parses')
  t.match(script, "fetch('/api/status')")
  t.equal((await fetch(`${base}/api/reload`)).status, 405)
  t.equal((await fetch(`${base}/api/reload`, { method: 'POST' })).status, 200)
  t.equal((await fetch(`${base}/api/reload`, { method: 'POST' })).status, 422)
  t.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405)
})
