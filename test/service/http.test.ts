// The HTTP side in isolation: Prometheus rendering (checked with a real parser), box
// drawing and JPEG encoding (decoded again with jpeg-js), latest frames paired with
// their results, and the server's route table over real loopback HTTP.
import t from 'tap'
import vm from 'node:vm'
import jpeg from 'jpeg-js'
import { pino } from 'pino'
import { drawDetections, encodeJpeg, colourFor, BOX_THICKNESS } from '../../src/service/annotate.js'
import { LatestFrames } from '../../src/service/latest-frames.js'
import { StatusHttpServer } from '../../src/service/http-server.js'
import { HttpRoutes, send, sendJson, sendText } from '../../src/service/http-routes.js'
import { STATUS_PAGE_HTML } from '../../src/service/status-page.js'
import { renderMetrics } from '../../src/service/metrics.js'
import { daemonStatus } from './status-fixture.js'
import type { Frame } from '../../src/pipeline/frame.js'
import { checkPrometheusText } from './prom-check.js'

const log = pino({ level: 'silent' })

t.test('metrics: the daemon snapshot renders and parses, per camera and histogram', async (t) => {
  const text = await renderMetrics(daemonStatus())
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
  const s = new LatestFrames({ now: () => now, idleIntervalMs: 1000, watchedIntervalMs: 100, minWidth: 1 })
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
  // The routes as the daemon's extensions register them (status-http, prometheus,
  // latest-frames), over a small fixed state.
  const routes = new HttpRoutes()
  routes.add({
    method: 'GET',
    path: '/healthz',
    handle: (_q, res) =>
      sendJson(res, healthy ? 200 : 503, {
        status: healthy ? 'ok' : 'unhealthy',
        healthy,
        reasons: healthy ? [] : ['worker hung'],
        warnings: [],
      }),
  })
  routes.add({
    method: 'GET',
    path: '/metrics',
    handle: (_q, res) =>
      send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', '# HELP a b\n# TYPE a gauge\na 1\n'),
  })
  routes.add({ method: 'GET', path: '/', handle: (_q, res) => send(res, 200, 'text/html', STATUS_PAGE_HTML) })
  routes.add({
    method: 'GET',
    path: /^\/cameras\/([^/]+)\/latest\.jpg$/,
    handle: (_q, res, [c]) => {
      if (c === 'gate') return send(res, 200, 'image/jpeg', jpegBytes, { 'x-frame-seq': '5' })
      if (c === 'new') return sendText(res, 503, 'not yet\n')
      sendText(res, 404, 'no such camera\n')
    },
  })
  routes.add({
    method: 'POST',
    path: '/api/reload',
    handle: (_q, res) => sendJson(res, reloads++ === 0 ? 200 : 422, {}),
  })
  const server = new StatusHttpServer({ listen: '127.0.0.1:0', log, routes })
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
