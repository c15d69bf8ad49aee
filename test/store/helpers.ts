// Shared bits for store and mqtt tests: a config block, synthetic inference results.
import { StorageSchema, MqttSchema } from '../../src/config/schema.js'
import type { ResolvedConfig } from '../../src/config/load.js'
import type { InferenceResult } from '../../src/runtime/types.js'
import { pino } from 'pino'
import { Store, type StoreOptions } from '../../src/store/store.js'

export const silentLog = () => pino({ level: process.env.EDGEWATCH_TEST_LOG ?? 'silent' })

export function storageConfig(
  path: string,
  over: Partial<Omit<ResolvedConfig['storage'], 'retention'>> & {
    retention?: Partial<ResolvedConfig['storage']['retention']>
  } = {},
): ResolvedConfig['storage'] {
  return StorageSchema.parse({ path, ...over })
}

export function mqttConfig(over: Record<string, unknown> = {}): ResolvedConfig['mqtt'] {
  return MqttSchema.parse(over)
}

export function result(camera: string, n: number, objects = 2, ts = 1_764_316_800_000 + n): InferenceResult {
  return {
    camera,
    frameSeq: n,
    pts: n / 10,
    ts,
    frame: { width: 640, height: 480 },
    model: 'csp-shapes',
    inference_ms: 5.5,
    objects: Array.from({ length: objects }, (_, i) => ({
      label: i % 2 ? 'car' : 'person',
      class: i % 2,
      score: 0.9,
      box: [10 + i, 20, 110, 220] as [number, number, number, number],
    })),
  }
}

/** A Store on `file` as the tests use it: device gate-01, prefix edgewatch, quiet log. */
export function testStore(file: string, over: Partial<StoreOptions> = {}): Store {
  return new Store({
    storage: storageConfig(file),
    deviceId: 'gate-01',
    topicPrefix: 'edgewatch',
    publishEmptyFrames: false,
    log: silentLog(),
    ...over,
  })
}
