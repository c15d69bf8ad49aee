// The model manifest: <model>.yaml beside <model>.onnx (or config model.manifest keys),
// merged as: format conventions < manifest file < config `model:` keys.
import fs from 'node:fs'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { manifestShape, OUTPUT_FORMATS } from '../config/schema.js'
import type { OutputFormat } from './output-formats/index.js'
import { ModelError, DOCS_HINT } from './errors.js'

/** The manifest keys that may be given in config `model:` (already validated there). */
export interface ManifestOverrides {
  format?: OutputFormat | undefined
  input?: Partial<ManifestFile['input']> | undefined
  strides?: number[] | undefined
  anchors?: number[][] | undefined
  labels?: string[] | undefined
  labels_file?: string | undefined
}

// Keys left out of `input` fall back to the format's convention (conventions.ts).
const FileSchema = z.strictObject(manifestShape)

export type ManifestFile = z.infer<typeof FileSchema>

export interface LoadedManifest {
  /** The manifest file used, or null when there is none. */
  file: string | null
  format: OutputFormat | undefined
  input: NonNullable<ManifestFile['input']>
  strides: number[] | undefined
  anchors: number[][] | undefined
  labels: string[] | undefined
}

export function manifestPathFor(modelPath: string): string {
  return modelPath.replace(/\.onnx$/i, '') + '.yaml'
}

/** Reads the manifest beside the model (if any) and applies the config overrides. */
export function loadManifest(modelPath: string, overrides: ManifestOverrides): LoadedManifest {
  const file = manifestPathFor(modelPath)
  let fromFile: ManifestFile = {}
  let used: string | null = null
  if (fs.existsSync(file)) {
    used = file
    let raw: unknown
    try {
      raw = parseYaml(fs.readFileSync(file, 'utf8'))
    } catch (err) {
      throw new ModelError(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`, DOCS_HINT)
    }
    const parsed = FileSchema.safeParse(raw ?? {})
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`)
      throw new ModelError(`${file}: invalid manifest: ${problems.join('; ')}`, DOCS_HINT)
    }
    fromFile = parsed.data
  }
  const format = overrides.format ?? fromFile.format
  if (format !== undefined && !OUTPUT_FORMATS.includes(format))
    throw new ModelError(`${file}: unknown format "${String(format)}"`)
  let labels = overrides.labels ?? (overrides.labels_file ? undefined : fromFile.labels)
  const labelsFile = overrides.labels ? undefined : (overrides.labels_file ?? fromFile.labels_file)
  if (!labels && labelsFile) {
    // A labels_file from the manifest is relative to the manifest; from config, to the model.
    const base = path.dirname(used ?? modelPath)
    const lf = path.resolve(base, labelsFile)
    try {
      labels = fs
        .readFileSync(lf, 'utf8')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l.length > 0)
    } catch (err) {
      throw new ModelError(`${used ?? modelPath}: labels_file ${lf}: ${(err as Error).message}`)
    }
    if (labels.length === 0) throw new ModelError(`${lf}: labels_file is empty (one label per line)`)
  }
  return {
    file: used,
    format,
    input: { ...fromFile.input, ...(overrides.input ?? {}) },
    strides: overrides.strides ?? fromFile.strides,
    anchors: overrides.anchors ?? fromFile.anchors,
    labels,
  }
}
