// A feature added the way docs/architecture.md says: one extension, written here, in the
// list the real controller starts, with the real parts (SQLite file, onnxruntime worker
// with a fixture model, a GStreamer child). It must see the lifecycle in order, get the
// frame and result notifications, add to /api/status, /healthz, /metrics and the HTTP
// routes, and be told about a reload.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { pino } from 'pino'
import { Controller } from '../../src/service/controller.js'
import { DEFAULT_EXTENSIONS } from '../../src/service/extensions/index.js'
import type { Extension, ExtensionContext, Reconfiguration } from '../../src/service/extension.js'
import { sendJson } from '../../src/service/http-routes.js'
import { DefaultParts } from '../../src/service/default-parts.js'
import { loadConfigFile } from '../../src/config/load.js'
import { Gauge } from 'prom-client'
import { tempDir } from '../harness/tmp.js'
import { freePort } from '../harness/ports.js'
import { FIXTURE_MODEL, getJson, waitFor } from './daemon-harness.js'

class FrameCounter implements Extension {
  readonly name = 'frame-counter'
  readonly seen: string[] = []
  frames = 0
  results = 0
  reconfigured: Reconfiguration | null = null

  constructor(private readonly ctx: ExtensionContext) {
    this.seen.push('constructed')
    ctx.bus.on('frame', () => this.frames++)
    ctx.bus.on('result', () => this.results++)
    ctx.bus.on('running', () => this.seen.push('running'))
    ctx.routes.add({
      method: 'GET',
      path: '/api/frame-counter',
      handle: (_req, res) => sendJson(res, 200, { frames: this.frames }),
    })
    new Gauge({
      name: 'edgewatch_test_results',
      help: 'Results seen by the test extension',
      registers: [ctx.metrics],
      collect: () => undefined,
    })
  }

  start(): void {
    const p = this.ctx.parts
    this.seen.push(
      `start db=${!!p.store()} model=${!!p.runtime()} cameras=${!!p.cameras()} state=${this.ctx.state()}`,
    )
  }

  stop(): void {
    const p = this.ctx.parts
    this.seen.push(`stop db=${!!p.store()} model=${!!p.runtime()} cameras=${!!p.cameras()}`)
  }

  reconfigure(change: Reconfiguration): void {
    this.reconfigured = change
    change.outcome.applied.push('frame counter told')
  }

  status(): Record<string, unknown> {
    return { frame_counter: { frames: this.frames, results: this.results } }
  }

  warnings(): string[] {
    return this.results > 0 ? [] : ['frame counter has seen no result yet']
  }
}

t.test('an extension written here runs inside the real controller', async (t) => {
  const dir = tempDir(t)
  const port = await freePort()
  const file = path.join(dir, 'config.yaml')
  const write = (score: number) =>
    fs.writeFileSync(
      file,
      [
        'device: { id: ext }',
        `model: { path: ${FIXTURE_MODEL}, format: yolov5, labels: [a, b, c], providers: [cpu], threads: 1 }`,
        `detect: { max_fps: 10, score: ${score} }`,
        'cameras:',
        '  test: { pipeline: "videotestsrc is-live=true ! video/x-raw,width=64,height=48,framerate=10/1" }',
        `storage: { path: ${path.join(dir, 'x.db')} }`,
        'mqtt: { enabled: false }',
        `http: { listen: "127.0.0.1:${port}" }`,
      ].join('\n') + '\n',
    )
  write(0.35)
  let ext: FrameCounter | null = null
  const c = new Controller({
    configPath: file,
    config: loadConfigFile(file),
    log: pino({ level: 'silent' }),
    env: {},
    parts: new DefaultParts(),
    extensions: [...DEFAULT_EXTENSIONS, (ctx) => (ext = new FrameCounter(ctx))],
  })
  t.teardown(() => c.stop())
  t.ok(ext, 'built with the controller')
  await c.start()
  const e = ext!
  t.same(e.seen, ['constructed', 'start db=true model=true cameras=false state=starting', 'running'])

  const base = `http://127.0.0.1:${port}`
  await waitFor('results', () => e.results >= 3, 30_000)
  t.ok(e.frames >= e.results, 'frames are announced before they are inferred')
  const status = await getJson(`${base}/api/status`)
  t.ok(status.frame_counter.results >= 3, 'its status contribution is in /api/status')
  t.ok(status.cameras.test, 'next to the core status')
  t.ok((await getJson(`${base}/api/frame-counter`)).frames > 0, 'its own route answers')
  const metrics = await (await fetch(`${base}/metrics`)).text()
  t.match(metrics, /^edgewatch_test_results 0$/m, 'its series is on /metrics')
  t.match(metrics, /^edgewatch_camera_frames_processed_total\{camera="test"\} \d+$/m)
  t.same((await getJson(`${base}/healthz`)).warnings, [], 'no warning once it has results')

  write(0.5)
  const r = await c.reload()
  t.ok(r.ok, JSON.stringify(r))
  t.match(r.applied, ['detection settings updated', 'frame counter told'])
  t.equal(e.reconfigured?.next.detect.score, 0.5)
  t.equal(e.reconfigured?.diff.detect, true)

  await c.stop()
  t.equal(e.seen.at(-1), 'stop db=true model=false cameras=false', 'stopped after cameras and inference')
})
