// Smoke test of the training pipeline (models/train.sh --smoke): a few steps on tiny
// generated data, for both the CSP network and its plain control, must give finite,
// falling losses and export an ONNX model that onnxruntime-node loads and runs. The same
// run covers the CSP-vs-plain study's path (models/study.py): three networks trained,
// interrupted and resumed into runs identical to an uninterrupted one, then the report
// (latency, memory, the card's table) written into the temp dir.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-node'
import { tempDir } from '../harness/tmp.js'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

t.test('train.sh --smoke trains, exports and scores', async (t) => {
  const work = tempDir(t, 'edgewatch-smoke-')
  const started = Date.now()
  const run = spawnSync('bash', [path.join(REPO, 'models', 'train.sh'), '--smoke', '--work', work], {
    encoding: 'utf8',
    timeout: 270_000,
  })
  const log = run.stdout + run.stderr
  t.equal(run.status, 0, 'train.sh --smoke exits 0')
  if (run.status !== 0) t.comment(log.slice(-4000))
  t.comment(`smoke run took ${((Date.now() - started) / 1000).toFixed(1)} s`)

  for (const arch of ['csp', 'plain']) {
    const losses = [...log.matchAll(new RegExp(`\\[train\\] ${arch} step \\d+/\\d+ loss ([^ ]+)`, 'g'))].map(
      (m) => Number(m[1]),
    )
    t.ok(losses.length >= 10, `${arch}: logged ${losses.length} steps`)
    t.ok(
      losses.every((v) => Number.isFinite(v)),
      `${arch}: all losses finite`,
    )
    const head = (losses[0]! + losses[1]! + losses[2]!) / 3
    const tail = losses.slice(-3).reduce((a, b) => a + b, 0) / 3
    t.ok(tail < head, `${arch}: loss falls (${head.toFixed(3)} -> ${tail.toFixed(3)})`)
  }

  const onnx = path.join(work, 'csp-shapes.onnx')
  t.ok(fs.existsSync(onnx), 'exported ONNX exists in the work dir')
  t.ok(fs.existsSync(path.join(work, 'csp-shapes.yaml')), 'manifest written beside it')
  const s = await ort.InferenceSession.create(onnx)
  const res = await s.run({
    [s.inputNames[0]!]: new ort.Tensor('float32', new Float32Array(3 * 512 * 384), [1, 3, 384, 512]),
  })
  // 512x384 input: 64x48 + 32x24 + 16x12 cells at strides 8/16/32
  t.same(res[s.outputNames[0]!]!.dims, [1, 4032, 10])
  const metrics = JSON.parse(fs.readFileSync(path.join(work, 'metrics.json'), 'utf8'))
  t.ok(
    metrics.models.csp.params > 0 && metrics.models['plain-ab'].params > metrics.models.csp.params,
    'metrics written',
  )

  // the study path
  t.match(
    log,
    /csp-s0\.pt vs .*: weights identical, losses and evaluations identical/,
    'resumed run = uninterrupted run',
  )
  for (const net of ['csp', 'plain', 'plain-narrow']) {
    const file = path.join(work, 'study-results', `${net}-s0.json`)
    t.ok(fs.existsSync(file), `study result ${net}-s0.json written`)
    const r = JSON.parse(fs.readFileSync(file, 'utf8'))
    t.equal(r.curve.at(-1).step, 6, `${net}: curve reaches the last step`)
    t.ok(r.resumed, `${net}: the run was resumed from its checkpoint`)
    // the report's clip check: every 45th frame of the 675-frame test clip
    t.equal(r.clip?.frames, 15, `${net}: scored on the test clip`)
    t.ok(r.clip.mAP50 >= 0 && r.clip.mAP50 <= 1, `${net}: clip mAP@0.5 ${r.clip.mAP50}`)
  }
  const study = metrics.study.nets
  const ratio = study['plain-narrow'].conv_macs / study.csp.conv_macs
  t.ok(Math.abs(ratio - 1) < 0.02, `plain-narrow counts the CSP network's FLOPs (${ratio.toFixed(4)})`)
  t.ok(study.plain.conv_macs > study.csp.conv_macs, 'the plain twin counts more FLOPs')
  for (const net of ['csp', 'plain', 'plain-narrow']) {
    t.ok(
      study[net].latency_ms['1'].median_ms > 0 && study[net].latency_ms['2'].median_ms > 0,
      `${net}: latency`,
    )
    t.ok(
      study[net].memory.onnx.peak_live_mb > 0 && study[net].memory.ort_default.run_peak_mb > 0,
      `${net}: memory`,
    )
  }
  const card = fs.readFileSync(path.join(work, 'README.md'), 'utf8')
  t.match(
    card,
    /<!-- study:begin[^\n]*-->\n3 runs: [^]*\| \*\*mAP@0\.5\*\* \|[^]*<!-- study:end -->/,
    'card block written',
  )
  // the shipped model on the same frames: the reference the clip scores are read against
  t.ok(
    metrics.study.clip.shipped.mAP50 > 0.8,
    `shipped model on the clip: ${metrics.study.clip.shipped.mAP50}`,
  )
  t.match(
    card,
    /- \*\*Shipped model\.\*\* [^\n]*the shipped model stays the CSP network\./,
    'rule for the shipped model applied',
  )
})
