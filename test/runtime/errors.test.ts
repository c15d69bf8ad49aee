// Every way a model can be wrong gives a clear error (exit 78, naming the file, the
// tensor and both shapes) or, for execution providers, a one-line fallback to CPU.
import t, { type Test } from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { InferenceRuntime } from '../../src/runtime/inference-runtime.js'
import { DetectorEngine } from '../../src/runtime/engine.js'
import { ModelError } from '../../src/runtime/errors.js'
import { FatalError } from '../../src/lifecycle.js'
import { tempDir } from '../harness/tmp.js'
import { detectConfig, fixture, modelConfig, recordingLogger } from './helpers.js'

async function startError(t: Test, model: ReturnType<typeof modelConfig>): Promise<FatalError> {
  const { log } = recordingLogger()
  const rt = new InferenceRuntime({ model, detect: detectConfig(), log, onResult: () => undefined })
  try {
    await rt.start()
  } catch (err) {
    t.type(err, FatalError)
    t.equal((err as FatalError).exitCode, 78)
    return err as FatalError
  }
  await rt.stop()
  throw new Error('start() should have failed')
}

/**
 * The same checks in-process (a worker per case is slow on a loaded machine); the two
 * cases above prove that the worker turns a ModelError into FatalError exit 78.
 */
async function openError(t: Test, model: ReturnType<typeof modelConfig>): Promise<ModelError> {
  const engine = new DetectorEngine(model, detectConfig())
  try {
    await engine.open()
  } catch (err) {
    t.type(err, ModelError)
    return err as ModelError
  }
  await engine.close()
  throw new Error('open() should have failed')
}

/** Copies a fixture into a temp dir with the given manifest beside it. */
function withManifest(t: Test, name: string, manifest: string | null): string {
  const dir = tempDir(t)
  const p = path.join(dir, name)
  fs.copyFileSync(fixture(name), p)
  if (manifest !== null) fs.writeFileSync(p.replace(/\.onnx$/, '.yaml'), manifest)
  return p
}

t.test('missing file', async (t) => {
  const p = '/nonexistent/dir/model.onnx'
  const err = await startError(t, modelConfig(p))
  t.match(err.message, `${p}: model file not found`)
})

t.test('corrupt .onnx', async (t) => {
  const err = await startError(t, modelConfig(fixture('corrupt.onnx')))
  t.match(
    err.message,
    /corrupt\.onnx: not a valid ONNX model \(onnxruntime: Protobuf parsing failed.*truncated/i,
  )
})

t.test('manifest input size does not match the model', async (t) => {
  const p = withManifest(t, 'yolov5.onnx', 'input: { width: 416, height: 416 }\n')
  const err = await openError(t, modelConfig(p))
  t.match(
    err.message,
    `${p.replace(/onnx$/, 'yaml')}: manifest input 416x416 does not match the model: tensor "images" is [1,3,64,64]`,
  )
})

t.test('manifest labels do not match the output classes', async (t) => {
  const p = withManifest(t, 'yolov5.onnx', 'labels: [person, car]\n')
  const err = await openError(t, modelConfig(p))
  t.match(err.message, 'lists 2 labels but output "output0" [1,252,8] has 3 classes')
})

t.test('labels_file relative to the manifest', async (t) => {
  const p = withManifest(t, 'yolov5.onnx', 'labels_file: names.txt\nformat: yolov5\n')
  fs.writeFileSync(path.join(path.dirname(p), 'names.txt'), 'person\ncar\n\ndog\n')
  const engine = new DetectorEngine(modelConfig(p), detectConfig())
  const info = await engine.open()
  await engine.close()
  t.same(info.labels, ['person', 'car', 'dog'])
})

t.test('manifest format does not match the outputs', async (t) => {
  const p = withManifest(t, 'yolov5.onnx', 'format: yolov8\n')
  const err = await openError(t, modelConfig(p))
  t.match(
    err.message,
    'does not match format yolov8: expected output [B,4+classes,N] with N > 4+classes; got "output0" [1,252,8]',
  )
})

t.test('invalid manifest keys', async (t) => {
  const p = withManifest(t, 'yolov5.onnx', 'formt: yolov5\n')
  const err = await openError(t, modelConfig(p))
  t.match(err.message, /yolov5\.yaml: invalid manifest: .*formt/)
})

t.test('unknown output layout', async (t) => {
  // tiny.onnx: [1,4,7] for a 32x32 input is no known layout without a manifest.
  const p = withManifest(t, 'tiny.onnx', null)
  const err = await openError(t, modelConfig(p))
  t.match(err.message, /cannot tell the output format from "output" \[1,4,7\] with input 32x32; set format:/)
})

t.test('unavailable execution providers fall back to CPU with one log line', async (t) => {
  const { log, lines } = recordingLogger()
  const rt = new InferenceRuntime({
    model: modelConfig(fixture('yolov5.onnx'), { providers: ['tensorrt', 'cuda', 'cpu'] }),
    detect: detectConfig(),
    log,
    onResult: () => undefined,
  })
  await rt.start()
  t.teardown(() => rt.stop())
  t.equal(rt.info().provider, 'cpu')
  const ep = lines().filter((l) => /execution provider/.test(String(l.msg)))
  t.equal(ep.length, 1, 'one line')
  t.match(
    ep[0]!.msg,
    /^execution provider tensorrt unavailable \(.+\); cuda unavailable \(.+\); running on cpu$/,
  )
  t.equal(ep[0]!.level, 'warn')
  t.equal(lines().filter((l) => /unavailable/.test(String(l.msg))).length, 1, 'nothing else about EPs')
})
