// TensorRT execution-provider options from the `model.tensorrt` config block, for the
// `{ name: 'tensorrt', ...options }` entry of onnxruntime-node's `executionProviders`.
//
// Keys are onnxruntime's own TensorRT EP option names (trt_*), the ones its C API
// `UpdateTensorRTProviderOptions` parses. The stock onnxruntime-node binding forwards only
// `deviceId` to TensorRT (onnxruntime issues #26854, #18380); these take effect with the
// binding patched by deploy/jetson/patches/ (built by deploy/jetson/build-onnxruntime.sh,
// see docs/jetson.md). The patched binding forwards every `trt_*` key and turns the value
// into the string the C API wants: booleans "1"/"0", numbers their integer text, strings
// as they are. Values therefore stay JS booleans/numbers here.
//
// Why the cache layout: onnxruntime names a cached engine after the model's path and graph
// structure, not its weights or the build settings, and loads whatever it finds. An engine
// built as FP32 would be reused after switching to FP16, and a retrained model of the same
// shape would run with the old engine. So engines live in a subdirectory keyed by a hash of
// the model file's bytes and of every setting that changes the engine. The timing cache
// (per-layer tactic timings) stays in cache_dir itself: it stays valid across models and
// settings and makes any rebuild faster. (No trt_engine_cache_prefix: the directory name
// already carries the model name, and older onnxruntime tags, used on JetPack 5, reject it.)
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { ResolvedConfig } from '../config/load.js'

export type TensorRtConfig = ResolvedConfig['model']['tensorrt']

/** `name:1x3x416x416` entries, comma-separated (onnxruntime's profile-shape syntax). */
const PROFILE_SHAPES = /^[^:,\s]+:\d+(x\d+)*(,[^:,\s]+:\d+(x\d+)*)*$/

const MIB = 1024 * 1024

/** Thrown for settings that cannot work; the message names the config key. */
export class TensorRtOptionsError extends Error {
  override name = 'TensorRtOptionsError'
}

/**
 * onnxruntime TensorRT EP options for this config and model. Has no side effects (it
 * reads the model file to hash it): onnxruntime creates the engine directory
 * (cache_dir/engines-<model>-<hash>) itself, one level deep, so cache_dir must exist;
 * the systemd unit's StateDirectory creates /var/lib/edgewatch/trt on every start.
 * Throws TensorRtOptionsError for INT8 without a calibration table and for a partial or
 * malformed set of profile shapes: configuration errors, whatever the machine.
 */
export function tensorrtProviderOptions(
  trt: ResolvedConfig['model']['tensorrt'],
  modelPath: string,
): Record<string, string | number | boolean> {
  if (trt.int8 && !trt.calibration_table) {
    throw new TensorRtOptionsError(
      'model.tensorrt.int8: INT8 needs model.tensorrt.calibration_table (a calibration table ' +
        'made for this model); set it, or use fp16 only (see docs/jetson.md)',
    )
  }
  const profiles = profileShapes(trt)
  const cacheDir = path.resolve(trt.cache_dir)
  const engineDir = path.join(cacheDir, engineDirName(trt, modelPath))

  const options: Record<string, string | number | boolean> = {
    trt_fp16_enable: trt.fp16,
    trt_int8_enable: trt.int8,
    trt_engine_cache_enable: true,
    trt_engine_cache_path: engineDir,
    trt_timing_cache_enable: trt.timing_cache,
    trt_max_workspace_size: trt.workspace_mb * MIB,
    trt_builder_optimization_level: trt.builder_optimization_level,
  }
  if (trt.timing_cache) options.trt_timing_cache_path = cacheDir
  if (trt.int8 && trt.calibration_table) {
    // onnxruntime joins the table name onto trt_engine_cache_path ("<cache path>/<name>"),
    // so an absolute path would be mangled; a path relative to the engine directory reaches
    // the configured file without copying it into the cache.
    options.trt_int8_calibration_table_name = path.relative(engineDir, path.resolve(trt.calibration_table))
  }
  if (profiles) {
    options.trt_profile_min_shapes = profiles.min
    options.trt_profile_opt_shapes = profiles.opt
    options.trt_profile_max_shapes = profiles.max
  }
  return options
}

function profileShapes(trt: TensorRtConfig): { min: string; opt: string; max: string } | null {
  const given = {
    profile_min_shapes: trt.profile_min_shapes,
    profile_opt_shapes: trt.profile_opt_shapes,
    profile_max_shapes: trt.profile_max_shapes,
  }
  const missing = Object.entries(given).filter(([, v]) => v === undefined)
  if (missing.length === 3) return null
  if (missing.length > 0) {
    throw new TensorRtOptionsError(
      'model.tensorrt: profile shapes come as a set of three (TensorRT needs min, opt and max); missing ' +
        missing.map(([k]) => `model.tensorrt.${k}`).join(', '),
    )
  }
  for (const [key, value] of Object.entries(given)) {
    if (!PROFILE_SHAPES.test(value!)) {
      throw new TensorRtOptionsError(
        `model.tensorrt.${key}: "${value}" is not a shape list; expected e.g. images:1x3x416x416 ` +
          '(input name, colon, dimensions joined by x; several inputs separated by commas)',
      )
    }
  }
  return { min: given.profile_min_shapes!, opt: given.profile_opt_shapes!, max: given.profile_max_shapes! }
}

/** `engines-<model name>-<12 hex>`: changes whenever the built engine would differ. */
function engineDirName(trt: TensorRtConfig, modelPath: string): string {
  const hash = createHash('sha256')
  hash.update(
    JSON.stringify({
      fp16: trt.fp16,
      int8: trt.int8,
      calibration_table: trt.int8 && trt.calibration_table ? fileDigest(trt.calibration_table) : null,
      workspace_mb: trt.workspace_mb,
      builder_optimization_level: trt.builder_optimization_level,
      profiles: [trt.profile_min_shapes, trt.profile_opt_shapes, trt.profile_max_shapes],
    }),
  )
  hash.update(fileDigest(modelPath))
  const name = path.basename(modelPath, path.extname(modelPath)).replace(/[^A-Za-z0-9_.-]/g, '_')
  return `engines-${name}-${hash.digest('hex').slice(0, 12)}`
}

/** Digest of a file's bytes; an unreadable file hashes its path (opening it fails later, with its own error). */
function fileDigest(file: string): string {
  try {
    return createHash('sha256').update(fs.readFileSync(file)).digest('hex')
  } catch {
    return `unreadable:${path.resolve(file)}`
  }
}

/**
 * The first onnxruntime release whose TensorRT EP accepts a key, for the keys above that
 * not every release edgewatch can meet accepts. UpdateTensorRTProviderOptions rejects a
 * key it does not know ("Unknown provider option"), and then the TensorRT EP is not used
 * at all, so keys are filtered by the onnxruntime really installed (see
 * tensorrtOptionsFor). Keys not listed are accepted from v1.16 on, the oldest onnxruntime
 * a Jetson row has built. Checked against tensorrt_execution_provider_info.cc (the
 * provider_option_names list): docs/jetson.md, "TensorRT option keys per version".
 */
export const TENSORRT_OPTION_SINCE: Readonly<Record<string, string>> = {
  // upstream PR #17865 (October 2023), first released in 1.17.0
  trt_timing_cache_path: '1.17.0',
}

export interface FilteredTensorRtOptions {
  options: Record<string, string | number | boolean>
  /** Keys left out because the installed onnxruntime does not accept them. */
  dropped: string[]
}

/**
 * `options` without the keys onnxruntime `version` (e.g. "1.16.3") does not accept. An
 * unknown version (null) keeps only the keys every release accepts: a lost timing-cache
 * path costs a slower rebuild, an unknown key costs TensorRT.
 */
export function tensorrtOptionsFor(
  options: Record<string, string | number | boolean>,
  version: string | null,
): FilteredTensorRtOptions {
  const kept: Record<string, string | number | boolean> = {}
  const dropped: string[] = []
  for (const [key, value] of Object.entries(options)) {
    const since = TENSORRT_OPTION_SINCE[key]
    if (since && (version === null || compareVersions(version, since) < 0)) dropped.push(key)
    else kept[key] = value
  }
  return { options: kept, dropped }
}

/** Compares dotted release numbers ("1.17.3" vs "1.17.0"); a suffix (-dev, -rev) is ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) =>
    v
      .replace(/^v/, '')
      .split(/[-+]/)[0]!
      .split('.')
      .map((n) => Number(n) || 0)
  const [x, y] = [parts(a), parts(b)]
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}
