// `edgewatch detections` reads the database read-only while a writer has it open.
import t from 'tap'
import path from 'node:path'
import fs from 'node:fs'
import { runCli } from '../harness/cli.js'
import { tempDir } from '../harness/tmp.js'
import { result, testStore } from './helpers.js'

t.test('edgewatch detections', async (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'e.db')
  const store = testStore(file)
  await store.start()
  t.teardown(() => store.stop())
  const now = Date.now()
  for (let i = 1; i <= 30; i++) store.record(result(i % 3 ? 'gate' : 'lobby', i, 2, now - (30 - i) * 60_000))

  // The writer still has the file open (WAL not checkpointed): read-only must see it all.
  let r = await runCli(['detections', '--db', file, '--json', '--limit', '1000'])
  t.equal(r.code, 0, r.stderr)
  t.equal(JSON.parse(r.stdout).length, 60)

  r = await runCli(['detections', '--db', file, '--json', '--camera', 'lobby', '--label', 'car'])
  const rows = JSON.parse(r.stdout)
  t.equal(rows.length, 10)
  t.ok(rows.every((x: { camera: string; label: string }) => x.camera === 'lobby' && x.label === 'car'))
  t.same(Object.keys(rows[0]), ['camera', 'seq', 'ts', 'pts', 'label', 'class', 'score', 'box'])
  t.ok(rows[0].ts >= rows[1].ts, 'newest first')

  r = await runCli(['detections', '--db', file, '--json', '--since', '10.5m'])
  t.equal(JSON.parse(r.stdout).length, 2 * 11, 'the last 10.5 minutes (11 results)')

  r = await runCli(['detections', '--db', file, '--limit', '3'])
  t.equal(r.code, 0)
  t.equal(r.stdout.trim().split('\n').length, 3)
  t.match(r.stdout, /^\d{4}-\d\d-\d\dT.*Z {2}gate {2}#\d+ {2}(person|car) 0\.90 {2}\[\d+,20,110,220\]$/m)

  const cfg = path.join(dir, 'config.yaml')
  const model = path.join(import.meta.dirname, '..', 'fixtures', 'models', 'tiny.onnx')
  fs.writeFileSync(
    cfg,
    `model:\n  path: ${model}\ncameras:\n  gate:\n    url: rtsp://127.0.0.1/x\nstorage:\n  path: ${file}\n`,
  )
  r = await runCli(['detections', '--config', cfg, '--json', '--limit', '5'])
  t.equal(r.code, 0, r.stderr)
  t.equal(JSON.parse(r.stdout).length, 5)

  r = await runCli(['detections', '--db', path.join(dir, 'missing.db')])
  t.equal(r.code, 1)
  t.match(r.stderr, /no database at/)
  t.notOk(fs.existsSync(path.join(dir, 'missing.db')), 'read-only: nothing created')
  t.equal((await runCli(['detections', '--db', file, '--since', 'yesterday'])).code, 64)
  t.equal((await runCli(['detections', '--db', file, '--limit', '0'])).code, 64)
  t.equal((await runCli(['detections', '--db', file, '--config', cfg])).code, 64)
})
