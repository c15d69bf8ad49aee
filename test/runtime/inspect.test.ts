// `edgewatch model inspect` on every fixture: inputs, outputs, format, and a manifest
// that — saved beside a copy of the model — loads and gives the same format.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { runCli } from '../harness/cli.js'
import { tempDir } from '../harness/tmp.js'
import { DetectorEngine } from '../../src/runtime/engine.js'
import { detectConfig, fixture, modelConfig } from './helpers.js'

const FIXTURES: Array<[string, string]> = [
  ['yolov5.onnx', 'yolov5'],
  ['yolox.onnx', 'yolox'],
  ['yolov8.onnx', 'yolov8'],
  ['yolo-raw.onnx', 'yolo-raw'],
  ['nms-n7.onnx', 'nms-n7'],
  ['nms-k6.onnx', 'nms-k6'],
  ['batch.onnx', 'yolov5'],
  ['slow.onnx', 'yolov5'],
  ['tiny.onnx', 'yolov5'],
]

for (const [name, format] of FIXTURES) {
  t.test(`inspect ${name}`, async (t) => {
    const r = await runCli(['model', 'inspect', fixture(name)])
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, /^inputs:\n {2}images {2}float32 \[/m)
    t.match(r.stdout, /^outputs:\n/m)
    t.match(r.stdout, new RegExp(`^format: ${format} \\(`, 'm'))
    // The printed manifest, saved beside a copy of the model, must load to the same format.
    const manifest = r.stdout.slice(r.stdout.indexOf('\nformat: ' + format + '\n') + 1)
    t.match(manifest, /^format: .*\ninput: \{ width: \d+, height: \d+, color: (rgb|bgr), .*\}\n/)
    const dir = tempDir(t)
    const copy = path.join(dir, name)
    fs.copyFileSync(fixture(name), copy)
    fs.writeFileSync(copy.replace(/\.onnx$/, '.yaml'), manifest)
    const engine = new DetectorEngine(modelConfig(copy), detectConfig())
    const info = await engine.open()
    await engine.close()
    t.equal(info.format, format)
    t.equal(info.formatSource, 'manifest')
  })
}

t.test('inspect: corrupt file, missing file, unknown layout, usage', async (t) => {
  const corrupt = await runCli(['model', 'inspect', fixture('corrupt.onnx')])
  t.equal(corrupt.code, 78)
  t.match(corrupt.stderr, 'not a valid ONNX model')
  const missing = await runCli(['model', 'inspect', '/nonexistent/x.onnx'])
  t.equal(missing.code, 78)
  t.match(missing.stderr, 'model file not found')
  const dir = tempDir(t)
  fs.copyFileSync(fixture('tiny.onnx'), path.join(dir, 'odd.onnx'))
  const unknown = await runCli(['model', 'inspect', path.join(dir, 'odd.onnx')])
  t.equal(unknown.code, 78)
  t.match(unknown.stdout, 'output  float32 [1,4,7]')
  t.match(unknown.stdout, 'problem: ')
  t.match(unknown.stdout, 'format: yolov5   # yolov5 | yolo-raw')
  t.equal((await runCli(['model'])).code, 64)
  t.equal((await runCli(['model', 'inspect'])).code, 64)
  const json = await runCli(['model', 'inspect', fixture('yolov8.onnx'), '--json'])
  t.equal(json.code, 0)
  t.match(JSON.parse(json.stdout), { info: { format: 'yolov8' }, manifest: { format: 'yolov8' } })
})
