// `edgewatch model inspect FILE.onnx`: the model's inputs and outputs, the output format
// (from the manifest or auto-detected), and the manifest edgewatch would use, ready to
// save beside the model and edit.
import ort from 'onnxruntime-node'
import { stringify } from 'yaml'
import { DetectSchema } from '../config/schema.js'
import { resolveModelConfig } from '../config/load.js'
import { DetectorEngine, type EngineInfo } from './engine.js'
import { shapeText } from './output-formats/format.js'
import { manifestPathFor } from './manifest.js'
import { ModelError } from './errors.js'

export interface InspectReport {
  path: string
  inputs: { name: string; type: string; shape: (number | string)[] }[]
  outputs: { name: string; type: string; shape: (number | string)[]; actual?: number[] }[]
  /** Set when the model opened and its format is known. */
  info: EngineInfo | null
  /** Why the model cannot run as is (unknown layout, manifest mismatch). */
  problem: string | null
  manifest: Record<string, unknown> | null
  manifestPath: string
}

export async function inspectModel(file: string): Promise<InspectReport> {
  const model = resolveModelConfig({ providers: ['cpu'], threads: 1 }, file)
  const report: InspectReport = {
    path: file,
    inputs: [],
    outputs: [],
    info: null,
    problem: null,
    manifest: null,
    manifestPath: manifestPathFor(file),
  }
  const engine = new DetectorEngine(model, DetectSchema.parse({}), 1)
  try {
    report.info = await engine.open()
  } catch (err) {
    if (!(err instanceof ModelError)) throw err
    report.problem = err.message
  } finally {
    await engine.close()
  }
  // The declared shapes, read separately so they show even when the engine refused the model.
  let session: ort.InferenceSession
  try {
    session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], logSeverityLevel: 3 })
  } catch {
    throw new ModelError(report.problem ?? `${file}: onnxruntime cannot open the model`)
  }
  const meta = (m: ort.InferenceSession.ValueMetadata) => ({
    name: m.name,
    type: m.isTensor ? m.type : 'non-tensor',
    shape: m.isTensor ? [...m.shape] : [],
  })
  report.inputs = session.inputMetadata.map(meta)
  report.outputs = session.outputMetadata.map((m) => {
    const actual = report.info?.outputs.find((o) => o.name === m.name)?.dims
    return { ...meta(m), ...(actual ? { actual } : {}) }
  })
  await session.release()
  const i = report.info
  if (i) {
    report.manifest = {
      format: i.format,
      input: { ...i.preprocess, mean: [...i.preprocess.mean], std: [...i.preprocess.std] },
      ...(i.format === 'yolox' || i.format === 'yolo-raw' ? { strides: i.strides } : {}),
      ...(i.anchors ? { anchors: i.anchors } : {}),
      labels: i.labels.length > 0 ? i.labels : ['class0'],
    }
  }
  return report
}

export function formatInspectReport(r: InspectReport): string {
  const lines = [`model: ${r.path}`, 'inputs:']
  for (const x of r.inputs) lines.push(`  ${x.name}  ${x.type} ${shapeText(x.shape)}`)
  lines.push('outputs:')
  for (const x of r.outputs) {
    const dyn =
      x.actual && shapeText(x.actual) !== shapeText(x.shape) ? `  (a run gives ${shapeText(x.actual)})` : ''
    lines.push(`  ${x.name}  ${x.type} ${shapeText(x.shape)}${dyn}`)
  }
  if (r.info) {
    const i = r.info
    lines.push(
      `format: ${i.format} (${i.formatSource === 'manifest' ? 'from the manifest' : 'auto-detected'}: ${i.formatReason})`,
      `batch: ${i.batch}; warm-up ${i.warmupMs.toFixed(1)} ms on ${i.provider}`,
      `manifest: ${i.manifestFile ?? `none (${r.manifestPath} does not exist; defaults of the format apply)`}`,
    )
  }
  if (r.problem) lines.push(`problem: ${r.problem}`)
  if (r.manifest) {
    lines.push(
      '',
      `# The manifest edgewatch uses for this model. Save as ${r.manifestPath},`,
      '# then set labels (one per class, in training order) and check the input convention.',
      ...Object.entries(r.manifest).map(
        ([k, v]) =>
          `${k}: ${stringify(v, { collectionStyle: 'flow', lineWidth: 0, flowCollectionPadding: true }).trim()}`,
      ),
    )
  } else if (r.inputs.length > 0) {
    lines.push(
      '',
      `# A manifest to start from: save as ${r.manifestPath} and pick the format (docs/models.md).`,
      'format: yolov5   # yolov5 | yolo-raw | yolox | yolov8 | nms-n7 | nms-k6',
      `input: { width: ${String(r.inputs[0]?.shape[3] ?? 640)}, height: ${String(r.inputs[0]?.shape[2] ?? 640)} }`,
      'labels: [class0]',
    )
  }
  return lines.join('\n') + '\n'
}
