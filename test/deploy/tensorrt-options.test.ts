// The mapping from `model.tensorrt` to onnxruntime's TensorRT EP option names, and its
// filter by the onnxruntime version installed: per version of the support matrix, only
// keys that version's TensorRT EP accepts. Runs on any machine: it only builds the option
// object (and the engine directory).
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { TensorRtSchema } from '../../src/config/schema.js'
import {
  compareVersions,
  tensorrtOptionsFor,
  tensorrtProviderOptions,
  TensorRtOptionsError,
} from '../../src/runtime/tensorrt-options.js'
import { tempDir } from '../harness/tmp.js'

function setup(t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t)
  const model = path.join(dir, 'det.onnx')
  fs.writeFileSync(model, 'model bytes v1')
  const cache = path.join(dir, 'trt')
  return { dir, model, cache }
}
t.test('defaults: FP16, engine cache in a keyed subdirectory, timing cache in cache_dir', async (t) => {
  const { model, cache } = setup(t)
  const trt = TensorRtSchema.parse({ cache_dir: cache })
  const opts = tensorrtProviderOptions(trt, model)
  const engineDir = opts.trt_engine_cache_path as string
  t.match(path.basename(engineDir), /^engines-det-[0-9a-f]{12}$/)
  t.equal(path.dirname(engineDir), cache)
  t.notOk(fs.existsSync(cache), 'no side effects: onnxruntime creates the engine directory')
  t.same(opts, {
    trt_fp16_enable: true,
    trt_int8_enable: false,
    trt_engine_cache_enable: true,
    trt_engine_cache_path: engineDir,
    trt_timing_cache_enable: true,
    trt_timing_cache_path: cache,
    trt_max_workspace_size: 1024 * 1024 * 1024,
    trt_builder_optimization_level: 3,
  })
  // Same inputs, same directory: a restart finds the engine it built.
  t.equal(tensorrtProviderOptions(trt, model).trt_engine_cache_path, engineDir)
})

t.test('every explicit key maps to its onnxruntime option', async (t) => {
  const { dir, model, cache } = setup(t)
  const table = path.join(dir, 'calib.flatbuffers')
  fs.writeFileSync(table, 'calibration')
  const trt = TensorRtSchema.parse({
    fp16: false,
    int8: true,
    calibration_table: table,
    cache_dir: cache,
    timing_cache: false,
    workspace_mb: 256,
    builder_optimization_level: 5,
    profile_min_shapes: 'images:1x3x320x320',
    profile_opt_shapes: 'images:1x3x416x416',
    profile_max_shapes: 'images:1x3x640x640',
  })
  const opts = tensorrtProviderOptions(trt, model)
  const engineDir = opts.trt_engine_cache_path as string
  t.same(opts, {
    trt_fp16_enable: false,
    trt_int8_enable: true,
    trt_engine_cache_enable: true,
    trt_engine_cache_path: engineDir,
    trt_timing_cache_enable: false,
    trt_max_workspace_size: 256 * 1024 * 1024,
    trt_builder_optimization_level: 5,
    trt_int8_calibration_table_name: '../../calib.flatbuffers',
    trt_profile_min_shapes: 'images:1x3x320x320',
    trt_profile_opt_shapes: 'images:1x3x416x416',
    trt_profile_max_shapes: 'images:1x3x640x640',
  })
  // onnxruntime joins the table name onto the engine path: it must land on the file.
  t.equal(
    path.resolve(engineDir, opts.trt_int8_calibration_table_name as string),
    table,
    'calibration table resolves from the engine directory',
  )
})

t.test('the engine directory changes with the model bytes and the engine settings', async (t) => {
  const { model, cache } = setup(t)
  const dirFor = (over: Record<string, unknown>) =>
    tensorrtProviderOptions(TensorRtSchema.parse({ cache_dir: cache, ...over }), model).trt_engine_cache_path
  const base = dirFor({})
  t.not(dirFor({ fp16: false }), base, 'precision')
  t.not(dirFor({ workspace_mb: 512 }), base, 'workspace')
  t.not(dirFor({ builder_optimization_level: 1 }), base, 'builder level')
  t.equal(dirFor({ timing_cache: false }), base, 'the timing cache does not change the engine')
  fs.writeFileSync(model, 'model bytes v2 (retrained)')
  t.not(dirFor({}), base, 'new weights, new engine')
})

t.test('settings that cannot work are errors naming the key', async (t) => {
  const { model, cache } = setup(t)
  t.throws(() => tensorrtProviderOptions(TensorRtSchema.parse({ cache_dir: cache, int8: true }), model), {
    name: 'TensorRtOptionsError',
    message: /model\.tensorrt\.int8: INT8 needs model\.tensorrt\.calibration_table/,
  })
  t.throws(
    () =>
      tensorrtProviderOptions(
        TensorRtSchema.parse({ cache_dir: cache, profile_min_shapes: 'images:1x3x320x320' }),
        model,
      ),
    { message: /missing model\.tensorrt\.profile_opt_shapes, model\.tensorrt\.profile_max_shapes/ },
  )
  t.throws(
    () =>
      tensorrtProviderOptions(
        TensorRtSchema.parse({
          cache_dir: cache,
          profile_min_shapes: 'images:1x3x320x320',
          profile_opt_shapes: 'images 1x3x416x416',
          profile_max_shapes: 'images:1x3x640x640',
        }),
        model,
      ),
    { message: /model\.tensorrt\.profile_opt_shapes: "images 1x3x416x416" is not a shape list/ },
  )
  // The error class is exported for callers that want to tell config errors apart.
  t.throws(() => tensorrtProviderOptions(TensorRtSchema.parse({ int8: true }), model), TensorRtOptionsError)
})

// The trt_* names each onnxruntime version's TensorRT EP parses
// (tensorrt::provider_option_names in onnxruntime/core/providers/tensorrt/
// tensorrt_execution_provider_info.cc), limited to those edgewatch can emit; device_id is
// added by the binding patch. Where each comes from: docs/jetson.md, "TensorRT option keys
// per version". trt_timing_cache_path came with upstream PR #17865, first in 1.17.0.
const BEFORE_1_17 = [
  'device_id',
  'trt_max_workspace_size',
  'trt_fp16_enable',
  'trt_int8_enable',
  'trt_int8_calibration_table_name',
  'trt_engine_cache_enable',
  'trt_engine_cache_path',
  'trt_timing_cache_enable',
  'trt_builder_optimization_level',
  'trt_profile_min_shapes',
  'trt_profile_max_shapes',
  'trt_profile_opt_shapes',
]
const ACCEPTED: Record<string, string[]> = {
  '1.16.3': BEFORE_1_17,
  '1.17.3': [...BEFORE_1_17, 'trt_timing_cache_path'],
  '1.23.2': [...BEFORE_1_17, 'trt_timing_cache_path'],
  '1.30.0': [...BEFORE_1_17, 'trt_timing_cache_path'],
}

/** Every setting at once (INT8 with a table, profiles, timing cache), and the defaults. */
function configs(t: Parameters<typeof tempDir>[0]) {
  const { dir, model, cache } = setup(t)
  const table = path.join(dir, 'calib.flatbuffers')
  fs.writeFileSync(table, 'calibration')
  return {
    model,
    all: [
      TensorRtSchema.parse({ cache_dir: cache }),
      TensorRtSchema.parse({
        fp16: true,
        int8: true,
        calibration_table: table,
        cache_dir: cache,
        timing_cache: true,
        workspace_mb: 512,
        builder_optimization_level: 4,
        profile_min_shapes: 'images:1x3x320x320',
        profile_opt_shapes: 'images:1x3x416x416',
        profile_max_shapes: 'images:1x3x640x640',
      }),
    ],
  }
}

for (const [version, accepted] of Object.entries(ACCEPTED)) {
  t.test(`onnxruntime ${version}: the mapping emits only keys that version accepts`, async (t) => {
    const { model, all } = configs(t)
    for (const trt of all) {
      const full = tensorrtProviderOptions(trt, model)
      const { options, dropped } = tensorrtOptionsFor(full, version)
      const unknown = Object.keys(options).filter((k) => !accepted.includes(k))
      t.same(unknown, [], `every key is one onnxruntime ${version} parses`)
      // Nothing else is lost: what is dropped is exactly what the version lacks.
      t.same(
        dropped,
        Object.keys(full).filter((k) => !accepted.includes(k)),
      )
      for (const [k, v] of Object.entries(options)) t.equal(v, full[k], `${k} unchanged`)
    }
  })
}

t.test('the 1.16 key set lacks the timing-cache path; 1.17 and later keep every key', async (t) => {
  const { model, all } = configs(t)
  const full = tensorrtProviderOptions(all[0]!, model)
  t.same(tensorrtOptionsFor(full, '1.16.3').dropped, ['trt_timing_cache_path'])
  t.equal(tensorrtOptionsFor(full, '1.16.3').options.trt_timing_cache_enable, true)
  for (const v of ['1.17.0', '1.17.3', '1.23.2', '1.30.0', '1.31.0-dev.20260101'])
    t.same(tensorrtOptionsFor(full, v), { options: full, dropped: [] }, v)
  t.same(
    tensorrtOptionsFor(full, null).dropped,
    ['trt_timing_cache_path'],
    'unknown: only keys every release accepts',
  )
  t.ok(compareVersions('1.17.3', '1.17.0') > 0 && compareVersions('v1.16.3', '1.17.0') < 0)
  t.equal(compareVersions('1.17', '1.17.0'), 0)
})
