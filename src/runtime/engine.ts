// The detector itself, independent of threads: opens the session (EP fallback), loads
// and validates the manifest against the model's real inputs/outputs, warms up, and
// turns frames into InferenceResults (preprocess → run → decode → NMS → source pixels).
// The inference worker owns one; `model inspect` and the bench use one directly.
import path from 'node:path'
import ort from 'onnxruntime-node'
import type { ResolvedConfig } from '../config/load.js'
import type { InferenceResult } from './types.js'
import { openSession, type OpenedSession } from './session.js'
import { loadManifest, type LoadedManifest, type ManifestOverrides } from './manifest.js'
import { detectFormat } from './detect-format.js'
import { outputFormatReader, classesFromShape, type OutputFormat } from './output-formats/index.js'
import { shapeText, type OutputTensor } from './output-formats/format.js'
import { inputConvention, DEFAULT_ANCHORS, DEFAULT_STRIDES } from './conventions.js'
import { Preprocessor, type InputSpec } from './preprocess.js'
import { Postprocessor } from './postprocess.js'
import type { Letterbox } from './letterbox.js'
import { ModelError, DOCS_HINT } from './errors.js'

import type { Frame } from '../pipeline/frame.js'

export type ModelSettings = ResolvedConfig['model']
export type DetectSettings = ResolvedConfig['detect']

export interface EngineInfo {
  model: string
  path: string
  provider: string
  /** Every execution provider the session holds, in order (e.g. tensorrt, cuda, cpu). */
  providers: string[]
  fallback: string[]
  /** Lines about the session worth logging once (session.ts OpenedSession.notes). */
  sessionNotes: string[]
  /** Whether onnxruntime's verbose session log reported node placement (on stderr). */
  placementLog: boolean
  input: { width: number; height: number }
  batch: number | 'dynamic'
  labels: string[]
  format: OutputFormat
  formatSource: 'manifest' | 'auto-detected'
  formatReason: string
  manifestFile: string | null
  preprocess: InputSpec
  strides: number[]
  anchors: number[][] | undefined
  inputName: string
  outputs: { name: string; dims: number[] }[]
  warmupMs: number
  /** Largest batch one run takes: the static batch size, or maxBatch for a dynamic one. */
  maxBatch: number
}

export interface InferOutput {
  results: InferenceResult[]
  /** session.run() time of the batch. */
  runMs: number
  /** preprocess + run + decode + NMS of the batch. */
  totalMs: number
}

export class DetectorEngine {
  private opened: OpenedSession | null = null
  private info_: EngineInfo | null = null
  private pre: Preprocessor | null = null
  private post: Postprocessor | null = null
  private geometry: Letterbox[] = []

  constructor(
    private readonly model: ModelSettings,
    private readonly detect: DetectSettings,
    private readonly maxDynamicBatch = 8,
    /** ortVerbose: onnxruntime's verbose session log, for its node placement report. */
    private readonly session: { ortVerbose?: boolean } = {},
  ) {}

  info(): EngineInfo {
    if (!this.info_) throw new Error('DetectorEngine.info() before open()')
    return this.info_
  }

  async open(): Promise<EngineInfo> {
    const modelPath = this.model.path
    const manifest = loadManifest(modelPath, overridesOf(this.model))
    const opened = await openSession(this.model, { verbose: this.session.ortVerbose ?? false })
    this.opened = opened
    try {
      const info = await this.inspectAndWarm(opened, manifest)
      this.info_ = info
      return info
    } catch (err) {
      await opened.session.release().catch(() => undefined)
      this.opened = null
      throw err
    }
  }

  private async inspectAndWarm(opened: OpenedSession, manifest: LoadedManifest): Promise<EngineInfo> {
    const file = this.model.path
    const where = manifest.file ?? file
    const session = opened.session
    const meta = session.inputMetadata[0]
    if (!meta || session.inputMetadata.length !== 1)
      throw new ModelError(
        `${file}: expected exactly one input (an image batch), found ${session.inputMetadata.length}`,
      )
    const dims = meta.isTensor ? meta.shape : []
    if (
      !meta.isTensor ||
      meta.type !== 'float32' ||
      dims.length !== 4 ||
      (typeof dims[1] === 'number' && dims[1] !== 3)
    )
      throw new ModelError(
        `${file}: input "${meta.name}" is ${meta.isTensor ? `${meta.type} ${shapeText(dims)}` : 'not a tensor'}; expected float32 [B,3,H,W] (NCHW)`,
        DOCS_HINT,
      )
    const modelH = typeof dims[2] === 'number' && dims[2] > 0 ? dims[2] : undefined
    const modelW = typeof dims[3] === 'number' && dims[3] > 0 ? dims[3] : undefined
    const mw = manifest.input.width
    const mh = manifest.input.height
    if (
      (mw !== undefined && modelW !== undefined && mw !== modelW) ||
      (mh !== undefined && modelH !== undefined && mh !== modelH)
    )
      throw new ModelError(
        `${where}: manifest input ${mw ?? '?'}x${mh ?? '?'} does not match the model: tensor "${meta.name}" is ${shapeText(dims)} (width ${modelW}, height ${modelH})`,
        DOCS_HINT,
      )
    const width = modelW ?? mw
    const height = modelH ?? mh
    if (width === undefined || height === undefined)
      throw new ModelError(
        `${file}: input "${meta.name}" ${shapeText(dims)} has a dynamic size; set input: { width, height } in the manifest`,
        DOCS_HINT,
      )
    const batch: number | 'dynamic' = typeof dims[0] === 'number' && dims[0] > 0 ? dims[0] : 'dynamic'
    const maxBatch = batch === 'dynamic' ? this.maxDynamicBatch : batch
    for (const o of session.outputMetadata)
      if (o.isTensor && o.type !== 'float32')
        throw new ModelError(
          `${file}: output "${o.name}" is ${o.type}; edgewatch decodes float32 outputs (export without FP16 I/O)`,
          DOCS_HINT,
        )

    // Warm-up: the first run allocates and optimises; doing it now keeps the first real
    // frame fast, and gives the real output shapes (dynamic dims included).
    const conventionless = {
      width,
      height,
      ...inputConvention(manifest.format),
      ...stripUndefined(manifest.input),
    }
    const runBatch = batch === 'dynamic' ? 1 : batch
    const t0 = performance.now()
    const warm = await session.run({
      [meta.name]: new ort.Tensor('float32', new Float32Array(runBatch * 3 * width * height), [
        runBatch,
        3,
        height,
        width,
      ]),
    })
    const warmupMs = performance.now() - t0
    const outputs = session.outputNames.map((name) => ({ name, dims: warm[name]!.dims.map(Number) }))

    let format = manifest.format
    let formatReason =
      manifest.file && format ? `format: ${format} in ${manifest.file}` : format ? 'format set in config' : ''
    if (!format) {
      const d = detectFormat(outputs, width, height)
      if ('error' in d) throw new ModelError(`${file}: ${d.error}`, DOCS_HINT)
      format = d.format
      formatReason = d.reason
    }
    // Conventions follow the (possibly detected) format; explicit manifest keys win.
    const preprocess: InputSpec = {
      ...conventionless,
      ...inputConvention(format),
      ...stripUndefined(manifest.input),
      width,
      height,
    }
    const strides = manifest.strides ?? [...DEFAULT_STRIDES]
    const anchors =
      format === 'yolo-raw' ? (manifest.anchors ?? DEFAULT_ANCHORS.map((a) => [...a])) : manifest.anchors
    const reader = outputFormatReader(format)
    const checked = reader.check(outputs, { inputWidth: width, inputHeight: height, strides, anchors })
    if ('error' in checked)
      throw new ModelError(`${where}: the model does not match format ${format}: ${checked.error}`, DOCS_HINT)
    let labels = manifest.labels
    if (classesFromShape(format)) {
      if (labels && labels.length !== checked.classes) {
        const o =
          outputs[format === 'yolo-raw' ? 0 : outputs.findIndex((x) => x.dims.length === 3)] ?? outputs[0]!
        throw new ModelError(
          `${where}: lists ${labels.length} labels but output "${o.name}" ${shapeText(o.dims)} has ${checked.classes} classes (format ${format})`,
          DOCS_HINT,
        )
      }
      labels ??= Array.from({ length: checked.classes }, (_, i) => `class${i}`)
    }
    labels ??= []

    this.pre = new Preprocessor(preprocess, maxBatch)
    this.post = new Postprocessor(reader, labels, this.detect, {
      width,
      height,
      strides,
      anchors: anchors ?? [],
    })
    return {
      model: path.basename(file).replace(/\.onnx$/i, ''),
      path: file,
      provider: opened.provider,
      providers: opened.providers,
      fallback: opened.failures,
      sessionNotes: opened.notes,
      placementLog: opened.placementLog,
      input: { width, height },
      batch,
      labels,
      format,
      formatSource: manifest.format ? 'manifest' : 'auto-detected',
      formatReason,
      manifestFile: manifest.file,
      preprocess,
      strides,
      anchors,
      inputName: meta.name,
      outputs,
      warmupMs,
      maxBatch,
    }
  }

  /** Runs one batch (at most info().maxBatch frames). */
  async infer(frames: readonly Frame[]): Promise<InferOutput> {
    const info = this.info()
    const pre = this.pre!
    const session = this.opened!.session
    if (frames.length === 0 || frames.length > info.maxBatch)
      throw new Error(`infer: ${frames.length} frames, batch takes 1..${info.maxBatch}`)
    const t0 = performance.now()
    for (let b = 0; b < frames.length; b++) this.geometry[b] = pre.fill(b, frames[b]!)
    const n = info.batch === 'dynamic' ? frames.length : info.batch
    const { width, height } = info.input
    const tensor = new ort.Tensor('float32', pre.data.subarray(0, n * 3 * width * height), [
      n,
      3,
      height,
      width,
    ])
    const t1 = performance.now()
    const out = await session.run({ [info.inputName]: tensor })
    const runMs = performance.now() - t1
    const outputs: OutputTensor[] = session.outputNames.map((name) => {
      const t = out[name]!
      return { name, dims: t.dims, data: t.data as Float32Array }
    })
    const results: InferenceResult[] = []
    for (let b = 0; b < frames.length; b++) {
      const f = frames[b]!
      results.push({
        camera: f.camera,
        frameSeq: f.seq,
        pts: f.pts,
        ts: f.ts,
        frame: { width: f.sourceWidth, height: f.sourceHeight },
        model: info.model,
        inference_ms: Math.round(runMs * 100) / 100,
        ...this.post!.run(outputs, b, this.geometry[b]!, f.sourceWidth, f.sourceHeight),
        // The pixels are not needed here any more: handed back (transferred) with the result.
        pixels: { width: f.width, height: f.height, data: f.data },
      })
    }
    for (const t of Object.values(out)) t.dispose()
    return { results, runMs, totalMs: performance.now() - t0 }
  }

  async close(): Promise<void> {
    const s = this.opened?.session
    this.opened = null
    if (s) await s.release()
  }
}

/** The manifest keys given under `model:` in the config. */
export function overridesOf(model: ModelSettings): ManifestOverrides {
  return {
    format: model.format,
    input: model.input ? stripUndefined(model.input) : undefined,
    strides: model.strides,
    anchors: model.anchors,
    labels: model.labels,
    labels_file: model.labels_file,
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
