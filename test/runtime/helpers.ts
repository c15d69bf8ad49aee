// Shared helpers for the runtime tests: config blocks from the real schema, fixture
// paths, synthetic frames, and a logger that records lines.
import path from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { DetectSchema } from '../../src/config/schema.js'
import { resolveModelConfig, type ResolvedConfig } from '../../src/config/load.js'
import type { Frame } from '../../src/pipeline/frame.js'
import { createLogger, type Logger } from '../../src/log/logger.js'

export const MODELS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'models')
export const fixture = (name: string) => path.join(MODELS, name)

export function modelConfig(p: string, extra: Record<string, unknown> = {}): ResolvedConfig['model'] {
  return resolveModelConfig({ providers: ['cpu'], threads: 1, ...extra }, p)
}

export function detectConfig(extra: Record<string, unknown> = {}): ResolvedConfig['detect'] {
  return DetectSchema.parse(extra)
}

/** A frame of `width`x`height` pixels standing for a source of sourceW x sourceH. */
export function frame(
  camera: string,
  seq: number,
  width: number,
  height: number,
  sourceW: number,
  sourceH: number,
): Frame {
  const data = new Uint8Array(width * height * 3)
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + seq) & 255
  return {
    camera,
    seq,
    pts: seq / 10,
    ts: 1_700_000_000_000 + seq,
    width,
    height,
    sourceWidth: sourceW,
    sourceHeight: sourceH,
    data,
  }
}

export function recordingLogger(): { log: Logger; lines: () => Array<Record<string, unknown>> } {
  const out: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(...chunk.toString().split('\n').filter(Boolean))
      cb()
    },
  })
  const log = createLogger({ level: 'debug', destination, redact: (s) => s })
  return { log, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) }
}

/** Compares boxes to float tolerance, with a readable message. */
export function closeTo(actual: readonly number[], expected: readonly number[], eps = 1e-3): boolean {
  return actual.length === expected.length && actual.every((v, i) => Math.abs(v - expected[i]!) <= eps)
}
