// The real daemon (bin/edgewatch.js run) with real parts: RTSP cameras (GStreamer),
// the ONNX fixture model (constant boxes), SQLite, mosquitto, and a real unix datagram
// socket as NOTIFY_SOCKET. One daemon per test keeps CPU use low on shared machines.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import mqtt from 'mqtt'
import jpeg from 'jpeg-js'
import Database from 'better-sqlite3'
import { chromium } from 'playwright-core'
import { BIN, REPO, runCli } from '../harness/cli.js'
import { startProcess } from '../harness/process.js'
import { tempDir } from '../harness/tmp.js'
import { freePort } from '../harness/ports.js'
import { startMosquitto } from '../harness/mosquitto.js'
import { startRtspServer } from '../harness/rtsp-server.js'
import { boxRect, colourFor } from '../../src/service/annotate.js'
import { checkPrometheusText } from './prom-check.js'
import {
  getJson,
  startNotifyListener,
  waitFor,
  writeDaemonConfig,
  type NotifyMessage,
} from './daemon-harness.js'

interface Received {
  id: string
  camera: string
  seq: number
  pts: number
  ts: number
}

t.test('daemon: notify order, HTTP, live reload, SIGTERM without loss', async (t) => {
  const dir = tempDir(t)
  const rtsp = await startRtspServer(t, {
    mounts: { '/a': 'testsrc', '/b': 'testsrc' },
    width: 320,
    height: 240,
    fps: 5,
  })
  const broker = await startMosquitto(t)
  const sock = path.join(dir, 'notify.sock')
  const notify = await startNotifyListener(t, sock)
  const httpPort = await freePort()
  const base = `http://127.0.0.1:${httpPort}`
  const file = path.join(dir, 'config.yaml')
  const cfg = { dir, httpPort, brokerUrl: broker.url, stopTimeout: 5 }
  const camA = rtsp.url('/a')
  const camB = rtsp.url('/b')
  writeDaemonConfig(file, { ...cfg, cameras: { a: camA } })

  // Everything the daemon publishes, to compare with the database at the end.
  const received = new Map<string, Received>()
  const sub = await mqtt.connectAsync(broker.url, { clientId: 'e2e-sub', reconnectPeriod: 200 })
  t.teardown(() => sub.endAsync(true))
  await sub.subscribeAsync(['edgewatch/e2e/+/detections', 'edgewatch/e2e/stats'], { qos: 1 })
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON, checked with t.match
  let stats: any = null
  sub.on('message', (topic, payload) => {
    if (topic === 'edgewatch/e2e/stats') {
      stats = JSON.parse(payload.toString())
      return
    }
    const m = JSON.parse(payload.toString()) as Received
    received.set(m.id, { id: m.id, camera: m.camera, seq: m.seq, pts: m.pts, ts: m.ts })
  })

  const daemon = startProcess(process.execPath, [BIN, 'run', '--config', file], {
    cwd: REPO,
    env: { ...process.env, NOTIFY_SOCKET: sock, WATCHDOG_USEC: '2000000' },
  })
  t.teardown(() => daemon.kill('SIGKILL'))
  const pid = daemon.child.pid!
  const msgs = () => notify.messages()
  const find = (re: RegExp, after = -1) => msgs().find((m) => m.i > after && re.test(m.msg))

  const ready = await waitFor('READY=1', () => find(/^READY=1$/), 90_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${daemon.output().slice(-3000)}`)
  })
  await waitFor('two watchdog pings', () => msgs().filter((m) => m.msg === 'WATCHDOG=1').length >= 2, 15_000)
  t.ok(find(/^STATUS=\d+\/1 cameras streaming, [\d.]+ fps, EP cpu, backlog \d+/), 'STATUS= summary line')

  await t.test('MQTT stats message from the controller', async (t) => {
    const st = await waitFor(
      'stats with camera a streaming',
      () => (stats?.cameras?.a?.state === 'streaming' ? stats : null),
      30_000,
    )
    t.match(st, {
      device: 'e2e',
      uptime_s: Number,
      provider: 'cpu',
      inference_ms: { p50: Number, p99: Number },
      outbox_backlog: Number,
      cameras: {
        a: {
          fps_in: Number,
          fps_processed: Number,
          frames: { received: Number, processed: Number, dropped: Number },
          restarts: 0,
          last_error: null,
        },
      },
    })
  })

  await t.test('HTTP: healthz, metrics, status, latest.jpg', async (t) => {
    const h = await fetch(`${base}/healthz`)
    t.equal(h.status, 200)
    const status = await waitFor(
      'camera a processed frames with detections',
      async () => {
        const s = await getJson(`${base}/api/status`)
        return s.cameras.a?.frames.processed > 3 && s.cameras.a.latest?.objects.length > 0 ? s : null
      },
      60_000,
    )
    t.equal(status.pid, pid)
    t.equal(status.provider, 'cpu')
    t.match(status.cameras.a, {
      state: 'streaming',
      frames: { received: Number, processed: Number, dropped: Number },
      fps: Number,
      restarts: 0,
      last_error: null,
    })
    t.type(status.outbox.backlog, 'number')

    const text = await (await fetch(`${base}/metrics`)).text()
    const fams = checkPrometheusText(text)
    t.ok(fams.length > 15, `${fams.length} metric families parse`)
    t.match(text, /edgewatch_camera_frames_processed_total\{camera="a"\} [1-9]/)
    t.match(text, /edgewatch_inference_duration_seconds_count [1-9]/)

    const res = await fetch(`${base}/cameras/a/latest.jpg`)
    t.equal(res.headers.get('content-type'), 'image/jpeg')
    const img = jpeg.decode(Buffer.from(await res.arrayBuffer()), { useTArray: true })
    const s2 = await getJson(`${base}/api/status`)
    const src = s2.cameras.a.source
    const objects = s2.cameras.a.latest.objects as { class: number; box: number[] }[]
    // The fixture model's outputs are constant, so every frame has these boxes.
    const k = img.width / src.width
    t.equal(img.height / src.height, k, 'aspect kept')
    const last = objects[objects.length - 1]!
    const r = boxRect(last.box.map((v) => v * k) as [number, number, number, number], img.width, img.height)
    const px = (x: number, y: number) => {
      const i = (y * img.width + x) * 4
      return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!]
    }
    const want = colourFor(last.class)
    const near = (p: number[]) => p.every((v, i) => Math.abs(v - want[i]!) <= 60)
    const midX = Math.round((r.x1 + r.x2) / 2)
    const lowY = Math.round(r.y1 + 0.75 * (r.y2 - r.y1))
    t.ok(near(px(midX, r.y2)), `bottom edge ${px(midX, r.y2).join(',')} ~ ${want.join(',')}`)
    t.ok(near(px(r.x1, lowY)), `left edge ${px(r.x1, lowY).join(',')}`)
    t.ok(near(px(r.x2, lowY)), `right edge ${px(r.x2, lowY).join(',')}`)
    t.notOk(near(px(midX, lowY)), 'inside the box is not the box colour')
  })

  const CHROMIUM = '/usr/bin/chromium'
  await t.test(
    'status page in a real browser: camera card with its live frame and detections',
    { skip: fs.existsSync(CHROMIUM) ? false : `no ${CHROMIUM}` },
    async (t) => {
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
      t.teardown(() => browser.close())
      const page = await browser.newPage()
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(e.message))
      await page.goto(`${base}/`)
      // A string: evaluated in the page (this project's TypeScript has no DOM types).
      await page.waitForFunction(
        "(() => { const img = document.querySelector('section.cam img'); return img !== null && img.complete && img.naturalWidth > 0 })()",
        undefined,
        { timeout: 30_000 },
      )
      t.equal(await page.textContent('section.cam h2'), 'a')
      t.equal(await page.textContent('#health'), 'ok')
      t.equal(await page.textContent('#ep'), 'cpu')
      const card = (await page.textContent('section.cam')) ?? ''
      t.match(card, 'streaming')
      t.match(card, /car 0\.72 \[\d+, \d+, \d+, \d+\]/, 'latest detections listed')
      t.same(errors, [], 'no script errors')
    },
  )

  let marker = ready.i
  const waitReload = async (what: string) => {
    const reloading = await waitFor(
      `RELOADING (${what})`,
      () => find(/^RELOADING=1\nMONOTONIC_USEC=\d+$/, marker),
      30_000,
    )
    const again = await waitFor(`READY after reload (${what})`, () => find(/^READY=1$/, reloading.i), 60_000)
    marker = again.i
    return reloading
  }

  await t.test('reload: an invalid file keeps the running config', async (t) => {
    const good = fs.readFileSync(file, 'utf8')
    fs.writeFileSync(file, good.replace('detect: { max_fps: 5 }', 'detect: { max_fps: 5, score: 7 }'))
    const before = process.hrtime.bigint() / 1000n
    process.kill(pid, 'SIGHUP')
    const m = await waitReload('invalid file')
    const usec = BigInt(/MONOTONIC_USEC=(\d+)/.exec(m.msg)![1]!)
    t.ok(
      usec >= before && usec <= process.hrtime.bigint() / 1000n,
      'MONOTONIC_USEC is CLOCK_MONOTONIC at the reload',
    )
    t.match(
      daemon.output(),
      /detect\.score: must be <= 1.*new configuration is invalid; keeping the running one/s,
    )
    const s = await getJson(`${base}/api/status`)
    t.same(Object.keys(s.cameras), ['a'])
    t.equal(s.cameras.a.restarts, 0)
    fs.writeFileSync(file, good)
  })

  await t.test('reload: adding a camera leaves the other streaming without a gap', async (t) => {
    const from = Date.now()
    writeDaemonConfig(file, { ...cfg, cameras: { a: camA, b: camB } })
    const r = await runCli(['reload', '--config', file])
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, 'applied: cameras added: b')
    await waitReload('add b')
    await waitFor(
      'camera b processed frames',
      async () => (await getJson(`${base}/api/status`)).cameras.b?.frames.processed > 3,
      60_000,
    )
    await new Promise((res) => setTimeout(res, 1500))
    const s = await getJson(`${base}/api/status`)
    t.equal(s.cameras.a.restarts, 0, 'camera a was not restarted')
    t.equal(s.cameras.a.state, 'streaming')
    // a's messages around the reload: stream time moves on frame by frame.
    const around = [...received.values()]
      .filter((m) => m.camera === 'a' && m.ts >= from - 2000)
      .sort((x, y) => x.seq - y.seq)
    t.ok(around.length > 10, `${around.length} messages from a around the reload`)
    let maxPtsGap = 0
    for (let i = 1; i < around.length; i++) {
      const d = around[i]!.pts - around[i - 1]!.pts
      maxPtsGap = Math.max(maxPtsGap, d)
      if (d <= 0) {
        t.fail(`pts went back: ${JSON.stringify(around.slice(i - 1, i + 1))}`)
        break
      }
    }
    // 5 fps: 0.2 s per frame. A restarted pipeline would start a new RTSP session.
    t.ok(maxPtsGap < 1.0, `largest stream-time step of a across the reload: ${maxPtsGap.toFixed(2)} s`)
  })

  await t.test('reload: removing a camera stops only that one', async (t) => {
    writeDaemonConfig(file, { ...cfg, cameras: { a: camA } })
    process.kill(pid, 'SIGHUP')
    await waitReload('remove b')
    const s1 = await getJson(`${base}/api/status`)
    t.same(Object.keys(s1.cameras), ['a'])
    t.equal(s1.cameras.a.restarts, 0)
    const n = s1.cameras.a.frames.processed
    await waitFor(
      'a keeps processing',
      async () => (await getJson(`${base}/api/status`)).cameras.a.frames.processed > n + 5,
      30_000,
    )
    t.equal((await fetch(`${base}/cameras/b/latest.jpg`)).status, 404)
  })

  await t.test('edgewatch status prints the table and JSON', async (t) => {
    const r = await runCli(['status', '--config', file])
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /^edgewatch e2e \(pid \d+, up /)
    t.match(
      r.stdout,
      /CAMERA\s+STATE\s+FPS IN\s+FPS\s+LATENCY\s+RECEIVED\s+PROCESSED\s+DROPPED\s+RESTARTS\s+LAST ERROR/,
    )
    t.match(r.stdout, /\na\s+streaming\s+[\d.]+\s+[\d.]+\s+(\d+ ms|-)\s+\d+\s+\d+\s+\d+\s+0\s+-/)
    const j = await runCli(['status', '--config', file, '--json'])
    t.equal(JSON.parse(j.stdout).cameras.a.state, 'streaming')
  })

  await t.test('SIGTERM while streaming: exit 0 in time, STOPPING first, nothing lost', async (t) => {
    const t0 = Date.now()
    process.kill(pid, 'SIGTERM')
    const { code } = await daemon.exited
    const took = Date.now() - t0
    t.equal(code, 0, daemon.output().slice(-2000))
    t.ok(took < (5 + 3) * 1000, `exited after ${took} ms (stop_timeout 5 s)`)
    const stopping = find(/^STOPPING=1$/, marker)
    t.ok(stopping, 'STOPPING=1 sent')

    // The notify sequence, in order, all from the daemon's own pid.
    const all = msgs()
    t.same([...new Set(all.map((m) => m.pid))], [pid], 'every notification came from the daemon pid')
    const kinds = all.map((m) => m.msg.split('=')[0]).filter((k, i, a) => k !== a[i - 1] || k === 'READY')
    const order = ['READY', 'STATUS', 'WATCHDOG', 'RELOADING', 'READY', 'STOPPING']
    let at = 0
    for (const k of kinds) if (k === order[at]) at++
    t.equal(at, order.length, `saw ${order.join(', ')} in order (sequence: ${kinds.join(' ')})`)
    t.equal(all[all.length - 1]!.msg, 'STOPPING=1', 'STOPPING is the last message')

    // stored = published + outbox backlog
    await new Promise((r) => setTimeout(r, 500))
    const db = new Database(path.join(dir, 'edgewatch.db'), { readonly: true })
    t.teardown(() => db.close())
    const stored = (
      db
        .prepare("SELECT DISTINCT 'e2e/' || camera || '/' || printf('%012d', seq) AS id FROM detections")
        .all() as { id: string }[]
    ).map((r) => r.id)
    const outbox = (db.prepare('SELECT id FROM outbox').all() as { id: string }[]).map((r) => r.id)
    const published = stored.filter((id) => received.has(id) && !outbox.includes(id))
    t.ok(stored.length > 20, `${stored.length} messages stored`)
    t.equal(
      stored.length,
      published.length + outbox.length,
      `stored ${stored.length} = published ${published.length} + backlog ${outbox.length}`,
    )
    t.same(
      [...received.keys()].filter((id) => !stored.includes(id)),
      [],
      'nothing published that was not stored',
    )
    for (const cam of ['a', 'b']) {
      const seqs = [...received.values()]
        .filter((m) => m.camera === cam)
        .map((m) => m.seq)
        .sort((x, y) => x - y)
      t.equal(
        seqs.length,
        seqs[seqs.length - 1]! - seqs[0]! + 1,
        `camera ${cam}: message seqs contiguous (${seqs.length})`,
      )
    }
  })
})

t.test('daemon: SIGSTOP freezes everything, watchdog pings stop; SIGCONT resumes them', async (t) => {
  const dir = tempDir(t)
  const rtsp = await startRtspServer(t, { mounts: { '/a': 'testsrc' }, width: 320, height: 240, fps: 5 })
  const sock = path.join(dir, 'notify.sock')
  const notify = await startNotifyListener(t, sock)
  const httpPort = await freePort()
  const file = path.join(dir, 'config.yaml')
  writeDaemonConfig(file, { dir, httpPort, brokerUrl: 'mqtt://127.0.0.1:9', cameras: { a: rtsp.url('/a') } })
  const daemon = startProcess(process.execPath, [BIN, 'run', '--config', file], {
    cwd: REPO,
    env: { ...process.env, NOTIFY_SOCKET: sock, WATCHDOG_USEC: '1000000' },
  })
  t.teardown(() => daemon.kill('SIGKILL'))
  const pings = () => notify.messages().filter((m: NotifyMessage) => m.msg === 'WATCHDOG=1').length
  await waitFor('pings', () => pings() >= 2, 90_000)
  process.kill(daemon.child.pid!, 'SIGSTOP')
  await new Promise((r) => setTimeout(r, 300))
  const frozenAt = pings()
  await new Promise((r) => setTimeout(r, 2500))
  t.equal(
    pings(),
    frozenAt,
    'no pings while the process is stopped (systemd would restart it after WatchdogSec)',
  )
  process.kill(daemon.child.pid!, 'SIGCONT')
  await waitFor('pings again', () => pings() > frozenAt, 15_000)
  process.kill(daemon.child.pid!, 'SIGTERM')
  t.equal((await daemon.exited).code, 0)
})

t.test(
  'daemon: SIGTERM with the broker away exits within stop_timeout; unsent messages stay in the outbox',
  async (t) => {
    const dir = tempDir(t)
    const rtsp = await startRtspServer(t, { mounts: { '/a': 'testsrc' }, width: 320, height: 240, fps: 5 })
    const broker = await startMosquitto(t)
    const httpPort = await freePort()
    const base = `http://127.0.0.1:${httpPort}`
    const file = path.join(dir, 'config.yaml')
    writeDaemonConfig(file, {
      dir,
      httpPort,
      brokerUrl: broker.url,
      cameras: { a: rtsp.url('/a') },
      stopTimeout: 2,
    })
    const received = new Set<string>()
    const sub = await mqtt.connectAsync(broker.url, { clientId: 'e2e-sub2', reconnectPeriod: 0 })
    t.teardown(() => sub.endAsync(true))
    await sub.subscribeAsync('edgewatch/e2e/+/detections', { qos: 1 })
    sub.on('message', (_topic, payload) =>
      received.add((JSON.parse(payload.toString()) as { id: string }).id),
    )
    const daemon = startProcess(process.execPath, [BIN, 'run', '--config', file], { cwd: REPO })
    t.teardown(() => daemon.kill('SIGKILL'))
    await waitFor('messages through the broker', () => received.size >= 5, 90_000)
    await broker.stop()
    await waitFor('a backlog', async () => (await getJson(`${base}/api/status`)).outbox.backlog >= 5, 30_000)
    const t0 = Date.now()
    process.kill(daemon.child.pid!, 'SIGTERM')
    const { code } = await daemon.exited
    const took = Date.now() - t0
    t.equal(code, 0, daemon.output().slice(-2000))
    t.ok(took < (2 + 4) * 1000, `exited after ${took} ms (stop_timeout 2 s)`)
    const db = new Database(path.join(dir, 'edgewatch.db'), { readonly: true })
    t.teardown(() => db.close())
    const stored = (
      db
        .prepare("SELECT DISTINCT 'e2e/' || camera || '/' || printf('%012d', seq) AS id FROM detections")
        .all() as {
        id: string
      }[]
    ).map((r) => r.id)
    // The detections messages (events of the tracked objects wait in the outbox beside them).
    const outbox = new Set(
      (db.prepare("SELECT id FROM outbox WHERE topic LIKE '%/detections'").all() as { id: string }[]).map(
        (r) => r.id,
      ),
    )
    const published = stored.filter((id) => received.has(id) && !outbox.has(id))
    t.ok(outbox.size >= 5, `${outbox.size} messages wait in the outbox`)
    t.equal(
      stored.length,
      published.length + outbox.size,
      `stored ${stored.length} = published ${published.length} + backlog ${outbox.size}`,
    )
  },
)

t.test('daemon: a model file that is not a model exits 78 (EX_CONFIG) with what to do', async (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'config.yaml')
  writeDaemonConfig(file, {
    dir,
    httpPort: await freePort(),
    brokerUrl: 'mqtt://127.0.0.1:9',
    cameras: { a: 'rtsp://127.0.0.1:9/a' },
    model: path.join(REPO, 'test', 'fixtures', 'models', 'corrupt.onnx'),
  })
  const daemon = startProcess(process.execPath, [BIN, 'run', '--config', file], { cwd: REPO })
  t.teardown(() => daemon.kill('SIGKILL'))
  const { code } = await daemon.exited
  t.equal(code, 78)
  t.notMatch(daemon.output(), '"msg":"ready"')
  t.match(daemon.output(), /"level":"fatal".*edgewatch could not start: .*corrupt\.onnx.*\(what to do: /)
})
