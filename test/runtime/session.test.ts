// What session creation receives: the provider chain TensorRT, then CUDA, then CPU in ONE
// session, the TensorRT options filtered by the onnxruntime really installed, the verbose
// session log for the placement report at debug level; and how the chain shortens when a
// provider cannot be set up. InferenceSession.create is replaced by a recorder, so this
// runs on any machine; the real fallback on a machine without GPU is in errors.test.ts.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import type ort from 'onnxruntime-node'
import { TensorRtSchema } from '../../src/config/schema.js'
import { ModelError } from '../../src/runtime/errors.js'
import { installedOrtVersion } from '../../src/runtime/ort-version.js'
import { failingProvider, fallbackLine, openSession } from '../../src/runtime/session.js'
import { providerChain, sessionPlan, type SessionModel } from '../../src/runtime/session-options.js'
import { tensorrtProviderOptions } from '../../src/runtime/tensorrt-options.js'
import { autoThreads, resolveThreads } from '../../src/runtime/threads.js'
import { REPO } from '../harness/cli.js'
import { tempDir } from '../harness/tmp.js'
import { fixture } from './helpers.js'

function model(t: Parameters<typeof tempDir>[0], over: Partial<SessionModel> = {}): SessionModel {
  const cache = path.join(tempDir(t), 'trt')
  return {
    path: fixture('yolov5.onnx'),
    providers: ['tensorrt', 'cuda', 'cpu'],
    threads: 2,
    spin_wait: false,
    tensorrt: TensorRtSchema.parse({ cache_dir: cache }),
    ...over,
  }
}

type Options = ort.InferenceSession.SessionOptions

/** A stand-in for InferenceSession.create: records what it receives, fails as told. */
function recorder(failures: (Error | null)[]) {
  const calls: Options[] = []
  const create = (_path: string, options: Options) => {
    calls.push(options)
    const err = failures[calls.length - 1]
    return err ? Promise.reject(err) : Promise.resolve({ fake: true } as unknown as ort.InferenceSession)
  }
  const chains = () =>
    calls.map((c) => (c.executionProviders ?? []).map((ep) => (typeof ep === 'string' ? ep : ep.name)))
  return { create, calls, chains }
}

t.test('the chain: configured order, each provider once, cpu always last', async (t) => {
  t.same(providerChain(['tensorrt', 'cuda', 'cpu']), ['tensorrt', 'cuda', 'cpu'])
  t.same(providerChain(['tensorrt', 'cuda']), ['tensorrt', 'cuda', 'cpu'])
  t.same(providerChain(['cuda']), ['cuda', 'cpu'])
  t.same(providerChain(['cpu']), ['cpu'])
  t.same(
    providerChain(['cpu', 'tensorrt']),
    ['tensorrt', 'cpu'],
    'cpu is the last resort, not a first choice',
  )
  t.same(providerChain(['cuda', 'tensorrt', 'cuda']), ['cuda', 'tensorrt', 'cpu'])
})

t.test('tensorrt, cuda, cpu: one session with TensorRT, then CUDA, then CPU, exactly', async (t) => {
  const m = model(t)
  const plan = sessionPlan(m, providerChain(m.providers), { ortVersion: '1.30.0', verbose: false })
  t.same(plan.options, {
    executionProviders: [{ name: 'tensorrt', ...tensorrtProviderOptions(m.tensorrt, m.path) }, 'cuda', 'cpu'],
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  })
  t.same(plan.providers, ['tensorrt', 'cuda', 'cpu'])
  t.same(plan.notes, [])
  t.equal(plan.placementLog, false)

  const rec = recorder([])
  const opened = await openSession(m, { ortVersion: '1.30.0', create: rec.create })
  t.equal(rec.calls.length, 1, 'one session')
  t.same(rec.calls[0], plan.options, 'session creation receives the plan')
  t.same(opened.providers, ['tensorrt', 'cuda', 'cpu'])
  t.equal(opened.provider, 'tensorrt', 'provider: the first of the chain, as before')
  t.same(opened.failures, [])
  t.equal(fallbackLine(opened), null)
})

t.test('at debug level the session log is verbose when a GPU provider is in the chain', async (t) => {
  const m = model(t)
  const verbose = sessionPlan(m, ['tensorrt', 'cuda', 'cpu'], { ortVersion: '1.30.0', verbose: true })
  t.equal(verbose.options.logSeverityLevel, 0, 'onnxruntime reports "Node placements" at verbose')
  t.equal(verbose.placementLog, true)
  const cpu = sessionPlan(m, ['cpu'], { ortVersion: '1.30.0', verbose: true })
  t.equal(cpu.options.logSeverityLevel, 3, 'nothing to place with the CPU alone')
  t.equal(cpu.placementLog, false)
  const rec = recorder([])
  const opened = await openSession(m, { ortVersion: '1.30.0', verbose: true, create: rec.create })
  t.equal(rec.calls[0]!.logSeverityLevel, 0)
  t.equal(opened.placementLog, true)
})

t.test('a provider that cannot be set up leaves the chain; the rest stays one session', async (t) => {
  const m = model(t)
  // The messages onnxruntime-node 1.30.0 gives here (linux/x64, no CUDA libraries).
  const rec = recorder([
    new Error('OrtSessionOptionsAppendExecutionProvider_TensorRT: Failed to load shared library'),
    new Error('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library'),
  ])
  const opened = await openSession(m, { ortVersion: '1.30.0', create: rec.create })
  t.same(rec.chains(), [['tensorrt', 'cuda', 'cpu'], ['cuda', 'cpu'], ['cpu']])
  t.same(opened.providers, ['cpu'])
  t.equal(opened.provider, 'cpu')
  t.equal(
    fallbackLine(opened),
    'execution provider tensorrt unavailable (OrtSessionOptionsAppendExecutionProvider_TensorRT: Failed to load shared library); ' +
      'cuda unavailable (OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library); running on cpu',
  )

  // A build without TensorRT (JetPack 7): the binding names the index; CUDA stays.
  const jp7 = recorder([
    new Error("Invalid argument: sessionOptions.executionProviders[0] is unsupported: 'tensorrt'."),
  ])
  const cuda = await openSession(m, { ortVersion: '1.30.0', create: jp7.create })
  t.same(jp7.chains(), [
    ['tensorrt', 'cuda', 'cpu'],
    ['cuda', 'cpu'],
  ])
  t.same(cuda.providers, ['cuda', 'cpu'])
  t.match(
    fallbackLine(cuda),
    /^execution provider tensorrt unavailable \(.*is unsupported: 'tensorrt'\.\); running on cuda, cpu$/,
  )

  // The patched binding rejecting an option: TensorRT leaves, CUDA stays.
  const opt = recorder([
    new Error('Invalid argument: TensorRT EP options: Unknown provider option: "trt_x".'),
  ])
  t.same((await openSession(m, { ortVersion: '1.30.0', create: opt.create })).providers, ['cuda', 'cpu'])
})

t.test('which provider an error is about', async (t) => {
  const chain = ['tensorrt', 'cuda', 'cpu'] as const
  t.equal(failingProvider(chain, "sessionOptions.executionProviders[1] is unsupported: 'cuda'."), 'cuda')
  t.equal(
    failingProvider(chain, 'Failed to load libonnxruntime_providers_tensorrt.so: libcudnn.so.9'),
    'tensorrt',
  )
  t.equal(failingProvider(chain, 'CUDA failure 100: no CUDA-capable device is detected'), 'cuda')
  t.equal(failingProvider(chain, 'something else'), 'tensorrt', 'else the first GPU provider')
  t.equal(failingProvider(['cuda', 'cpu'], 'TensorRT EP failed'), 'cuda', 'only providers of the chain')
  t.equal(failingProvider(chain, "executionProviders[2] is unsupported: 'cpu'"), 'tensorrt', 'never cpu')
})

t.test('errors about the model, or on the CPU alone, are model errors', async (t) => {
  const m = model(t)
  const fault = recorder([new Error('Load model from x failed: Protobuf parsing failed.')])
  await t.rejects(openSession(m, { ortVersion: '1.30.0', create: fault.create }), ModelError)
  t.equal(fault.calls.length, 1, 'no provider is blamed for a broken file')
  const cpu = recorder([new Error('boom')])
  await t.rejects(
    openSession(model(t, { providers: ['cpu'] }), { ortVersion: '1.30.0', create: cpu.create }),
    {
      name: 'ModelError',
      message: /onnxruntime cannot load the model: boom/,
    },
  )
  const int8 = model(t, { tensorrt: TensorRtSchema.parse({ int8: true }) })
  await t.rejects(openSession(int8, { ortVersion: '1.30.0', create: recorder([]).create }), {
    name: 'ModelError',
    message: /^model\.tensorrt: model\.tensorrt\.int8: INT8 needs/,
  })
})

t.test('TensorRT options follow the installed onnxruntime, with one note for what is left out', async (t) => {
  const m = model(t)
  const trtEntry = (o: Options) => o.executionProviders![0] as unknown as Record<string, unknown>
  const old = await openSession(m, { ortVersion: '1.16.3', create: recorder([]).create })
  const rec16 = recorder([])
  await openSession(m, { ortVersion: '1.16.3', create: rec16.create })
  t.notOk(
    'trt_timing_cache_path' in trtEntry(rec16.calls[0]!),
    'onnxruntime 1.16 rejects trt_timing_cache_path',
  )
  t.equal(trtEntry(rec16.calls[0]!).trt_timing_cache_enable, true, 'the timing cache itself stays on')
  t.same(old.notes, [
    'TensorRT option trt_timing_cache_path left out: onnxruntime 1.16.3 does not accept it (from 1.17.0 on); ' +
      'the TensorRT timing cache is kept beside the engines instead',
  ])
  const rec17 = recorder([])
  await openSession(m, { ortVersion: '1.17.3', create: rec17.create })
  t.ok('trt_timing_cache_path' in trtEntry(rec17.calls[0]!))
  const unknown = await openSession(m, { ortVersion: null, create: recorder([]).create })
  t.match(unknown.notes[0], 'the installed onnxruntime-node version is unknown')
})

t.test('the installed onnxruntime-node version is read from its package.json', async (t) => {
  const pkg = JSON.parse(
    fs.readFileSync(path.join(REPO, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8'),
  ) as { version: string }
  t.equal(installedOrtVersion(), pkg.version)
})

t.test('threads: auto is one per core, at most 4; spin-waiting only when asked', async (t) => {
  t.same([1, 2, 4, 6, 12, 64].map(autoThreads), [1, 2, 4, 4, 4, 4])
  t.equal(resolveThreads('auto', 6), 4)
  t.equal(resolveThreads(2, 12), 2, 'a number is taken as given')
  const spin = sessionPlan(model(t, { spin_wait: true }), ['cpu'], { ortVersion: '1.30.0', verbose: false })
  t.same(spin.options.extra, { session: { intra_op: { allow_spinning: '1' } } })
  // The binding really hands the entry to onnxruntime: its verbose session log lists it.
  const script = `
    const ort = require('onnxruntime-node')
    ort.InferenceSession.create(process.argv[1], { ...JSON.parse(process.argv[2]), logSeverityLevel: 0 })
      .then((s) => s.release())`
  const r = spawnSync(
    process.execPath,
    ['-e', script, fixture('yolov5.onnx'), JSON.stringify(spin.options)],
    {
      cwd: REPO,
      encoding: 'utf8',
    },
  )
  t.equal(r.status, 0, r.stderr.slice(-500))
  t.match(r.stderr, /config_options: \{\s*session\.intra_op\.allow_spinning: 1 \}/)
})
