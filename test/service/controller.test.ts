// The controller in-process with small fake parts (fine for this unit: the real parts
// run in daemon.test.ts). What is real here: the notify path (libsystemd's sd_notify via
// the sd-notify package, to a real unix datagram socket), the health check, the
// watchdog timer, the HTTP server and the config loader used by reload.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { pino } from 'pino'
import { Controller } from '../../src/service/controller.js'
import type { PartFactory } from '../../src/service/core-parts.js'
import type { RuntimeStats } from '../../src/runtime/inference-runtime.js'
import { loadConfigFile } from '../../src/config/load.js'
import type { CameraStatus } from '../../src/pipeline/frame.js'
import { tempDir } from '../harness/tmp.js'
import { freePort } from '../harness/ports.js'
import { FIXTURE_MODEL, getJson, startNotifyListener, waitFor } from './daemon-harness.js'

class FakeWorld implements PartFactory {
  publishers: string[] = []
  hung = false
  lastProgressAt = Date.now()
  swaps: unknown[] = []
  applied: string[][] = []

  store() {
    return {
      start: async () => undefined,
      stop: async () => undefined,
      record: () => null,
      recordFrame: () => [],
      database: () => null,
      stats: () => ({
        detections_written: 0,
        messages_written: 0,
        write_failures: 0,
        outbox_backlog: 0,
        outbox_dropped: 0,
        db_bytes: 0,
        last_error: null,
        commit_ms_p99: 0,
      }),
    }
  }
  publisher(opts: Parameters<PartFactory['publisher']>[0]) {
    return {
      start: async () => {
        this.publishers.push(`start ${opts.mqtt.url}`)
      },
      stop: async () => {
        this.publishers.push(`stop ${opts.mqtt.url}`)
      },
      notify: () => undefined,
      publishDirect: () => false,
      status: () => ({
        connected: true,
        published: 0,
        inflight: 0,
        backlog: 0,
        reconnects: 0,
        last_error: null,
        live_sent: 0,
      }),
    }
  }
  runtime() {
    return {
      start: async () => undefined,
      stop: async () => undefined,
      submit: () => undefined,
      info: () => ({
        model: 'fake',
        path: '/fake.onnx',
        provider: 'cpu',
        input: { width: 64, height: 64 },
        batch: 1 as const,
        labels: ['a'],
        format: 'yolov5',
      }),
      stats: (): RuntimeStats => {
        if (!this.hung) this.lastProgressAt = Date.now()
        return {
          submitted: 0,
          processed: 0,
          dropped: 0,
          batches: 0,
          last_ms: 1,
          p50_ms: 1,
          p99_ms: 1,
          histogram: { le: [5], counts: [0], sum: 0, count: 0 },
          busy: this.hung,
          queued: this.hung ? 1 : 0,
          lastProgressAt: this.lastProgressAt,
        }
      },
      swap: async (model: unknown, detect: unknown) => {
        this.swaps.push({ model, detect })
      },
    }
  }
  cameras(opts: Parameters<PartFactory['cameras']>[0]) {
    let names = Object.keys(opts.cameras)
    const status = (): CameraStatus => ({
      state: 'streaming',
      last_error: null,
      decoder: 'fake',
      frames: { received: 1, delivered: 1, dropped: 0, skipped: 0 },
      fps_in: 5,
      fps_delivered: 5,
      restarts: 0,
      last_frame_age: 0,
      source: { width: 64, height: 64 },
    })
    return {
      start: async () => undefined,
      stop: async () => undefined,
      apply: async (cams: Record<string, unknown>) => {
        const next = Object.keys(cams)
        const r = {
          added: next.filter((n) => !names.includes(n)),
          removed: names.filter((n) => !next.includes(n)),
          changed: [],
          unchanged: next.filter((n) => names.includes(n)),
        }
        names = next
        this.applied.push(next)
        return r
      },
      status: () => Object.fromEntries(names.map((n) => [n, status()])),
    }
  }
}

function writeConfig(file: string, dir: string, port: number, extra = ''): void {
  fs.writeFileSync(
    file,
    [
      'device: { id: unit }',
      `model: { path: ${FIXTURE_MODEL}, format: yolov5, labels: [a, b, c] }`,
      'cameras:',
      '  a: { url: "rtsp://127.0.0.1:9/a" }',
      extra,
      `storage: { path: ${path.join(dir, 'x.db')} }`,
      `http: { listen: "127.0.0.1:${port}" }`,
    ].join('\n') + '\n',
  )
}

t.test('a hung inference worker stops the watchdog pings and turns /healthz unhealthy', async (t) => {
  const dir = tempDir(t)
  const sock = path.join(dir, 'notify.sock')
  const listener = await startNotifyListener(t, sock)
  // libsystemd reads the real environment, not an object we pass.
  process.env.NOTIFY_SOCKET = sock
  t.teardown(() => {
    delete process.env.NOTIFY_SOCKET
  })
  const port = await freePort()
  const file = path.join(dir, 'config.yaml')
  writeConfig(file, dir, port)
  const world = new FakeWorld()
  const c = new Controller({
    configPath: file,
    config: loadConfigFile(file),
    log: pino({ level: 'silent' }),
    env: { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '600000' },
    parts: world,
    healthLimits: { inferenceStallMs: 800 },
  })
  await c.start()
  t.teardown(() => c.stop())
  const base = `http://127.0.0.1:${port}`
  const pings = () => listener.messages().filter((m) => m.msg === 'WATCHDOG=1')
  await waitFor('pings', () => pings().length >= 3, 10_000)
  t.ok(
    pings().every((m) => m.pid === process.pid),
    'sent by this process (sd_notify in-process)',
  )
  t.equal((await fetch(`${base}/healthz`)).status, 200)

  world.hung = true
  const h = await waitFor(
    'unhealthy',
    async () => {
      const r = await fetch(`${base}/healthz`)
      return r.status === 503 ? ((await r.json()) as { reasons: string[] }) : null
    },
    10_000,
  )
  t.match(h.reasons, [/inference worker made no progress for [\d.]+ s with frames waiting/])
  await new Promise((r) => setTimeout(r, 400))
  const frozen = pings().length
  await new Promise((r) => setTimeout(r, 1500))
  t.equal(pings().length, frozen, 'no watchdog pings while the worker is hung')

  world.hung = false
  await waitFor('pings resume', () => pings().length > frozen, 10_000)
  t.equal((await fetch(`${base}/healthz`)).status, 200)
})

t.test('reload: detection settings swap the model session; storage changes need a restart', async (t) => {
  const dir = tempDir(t)
  const port = await freePort()
  const file = path.join(dir, 'config.yaml')
  writeConfig(file, dir, port)
  const world = new FakeWorld()
  const c = new Controller({
    configPath: file,
    config: loadConfigFile(file),
    log: pino({ level: 'silent' }),
    env: {},
    parts: world,
  })
  await c.start()
  t.teardown(() => c.stop())

  writeConfig(file, dir, port, '  b: { url: "rtsp://127.0.0.1:9/b" }\ndetect: { score: 0.6 }')
  let r = await c.reload()
  t.ok(r.ok, JSON.stringify(r))
  t.equal(world.swaps.length, 1, 'runtime.swap called once')
  t.match(world.swaps[0], { detect: { score: 0.6 } })
  t.same(world.applied, [['a', 'b']])
  t.match(r.applied, ['detection settings updated', 'cameras added: b'])

  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('x.db', 'y.db'))
  r = await c.reload()
  t.same(r.needs_restart, ['storage.path'])
  t.equal(world.swaps.length, 1, 'no swap when model/detect did not change')

  fs.writeFileSync(file, fs.readFileSync(file, 'utf8') + 'mqtt: { url: "mqtt://127.0.0.1:2" }\n')
  r = await c.reload()
  t.ok(r.ok)
  t.same(world.publishers, [
    'start mqtt://127.0.0.1:1883',
    'stop mqtt://127.0.0.1:1883',
    'start mqtt://127.0.0.1:2',
  ])
  t.match(r.applied, ['mqtt reconnected with the new settings'])

  fs.writeFileSync(file, 'cameras: {}\n')
  r = await c.reload()
  t.notOk(r.ok)
  t.match(r.errors, [/cameras: at least one camera is required/])
  const s = await getJson(`http://127.0.0.1:${port}/api/status`)
  t.same(Object.keys(s.cameras), ['a', 'b'], 'invalid file: cameras as before')
})

t.test('a blocked event loop sends no pings while blocked and reports unhealthy afterwards', async (t) => {
  const dir = tempDir(t)
  const sock = path.join(dir, 'notify.sock')
  const listener = await startNotifyListener(t, sock)
  process.env.NOTIFY_SOCKET = sock
  t.teardown(() => {
    delete process.env.NOTIFY_SOCKET
  })
  const port = await freePort()
  const file = path.join(dir, 'config.yaml')
  writeConfig(file, dir, port)
  const c = new Controller({
    configPath: file,
    config: loadConfigFile(file),
    log: pino({ level: 'silent' }),
    env: { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '600000' },
    parts: new FakeWorld(),
    healthLimits: { loopLagMs: 1000, loopWindowMs: 5000 },
  })
  await c.start()
  t.teardown(() => c.stop())
  const pings = () => listener.messages().filter((m) => m.msg === 'WATCHDOG=1')
  await waitFor('pings', () => pings().length >= 2, 10_000)
  const monotonic = () => Number(process.hrtime.bigint() / 1000n) / 1e6
  const blockFrom = monotonic()
  const until = Date.now() + 2500
  while (Date.now() < until) {
    /* the main thread really blocks: no timer, no socket, nothing runs */
  }
  const blockTo = monotonic()
  await new Promise((r) => setTimeout(r, 100))
  const r = await fetch(`http://127.0.0.1:${port}/healthz`)
  t.equal(r.status, 503)
  t.match(((await r.json()) as { reasons: string[] }).reasons, [/event loop was blocked for 2\.\d s/])
  await new Promise((r) => setTimeout(r, 1000))
  const during = pings().filter((m) => m.t > blockFrom + 0.05 && m.t < blockTo + 1)
  t.same(during, [], 'no ping during the block, nor in the second after it (lag still in the window)')
  await waitFor(
    'pings resume once the block leaves the window',
    () => pings().some((m) => m.t > blockTo + 5),
    15_000,
  )
})

t.test('a stop during a reload waits for it and sends no READY after STOPPING', async (t) => {
  const dir = tempDir(t)
  const port = await freePort()
  const file = path.join(dir, 'config.yaml')
  writeConfig(file, dir, port)
  const world = new FakeWorld()
  const sent: string[] = []
  const c = new Controller({
    configPath: file,
    config: loadConfigFile(file),
    log: pino({ level: 'silent' }),
    env: { NOTIFY_SOCKET: '/nonexistent' },
    notifyTransport: (s) => sent.push(s.split('\n')[0]!),
    parts: {
      ...world,
      store: () => world.store(),
      publisher: (o) => world.publisher(o),
      cameras: (o) => world.cameras(o),
      runtime: () => ({
        ...world.runtime(),
        swap: (m: unknown, d: unknown) =>
          new Promise<void>((r) => setTimeout(() => r(void world.swaps.push({ m, d })), 500)),
      }),
    },
  })
  await c.start()
  writeConfig(file, dir, port, 'detect: { score: 0.7 }')
  const reload = c.reload()
  await new Promise((r) => setTimeout(r, 100))
  await c.stop()
  t.ok((await reload).ok)
  t.equal(world.swaps.length, 1, 'the swap finished before the parts stopped')
  const kinds = sent.map((s) => s.split('=')[0]).filter((k) => k !== 'STATUS')
  t.same(kinds, ['READY', 'RELOADING', 'STOPPING'])
})
