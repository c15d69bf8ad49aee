// The real parts behind the controller's PartFactory: SQLite store, MQTT publisher,
// onnxruntime worker, GStreamer cameras.
import { Store } from '../store/store.js'
import { Publisher } from '../mqtt/publisher.js'
import { InferenceRuntime } from '../runtime/inference-runtime.js'
import { CameraManager } from '../pipeline/camera-manager.js'
import type { PartFactory, StorePart } from './core-parts.js'
import { FAULT_ENV, parseWorkerFault } from '../runtime/faults.js'

export class DefaultParts implements PartFactory {
  /** The publisher reads the outbox through the concrete Store. */
  private readonly stores = new WeakMap<StorePart, Store>()

  /** env: the daemon's environment, read for a test's EDGEWATCH_TEST_FAULT only. */
  constructor(private readonly opts: { env?: NodeJS.ProcessEnv } = {}) {}

  store(opts: Parameters<PartFactory['store']>[0]): StorePart {
    const store = new Store(opts)
    this.stores.set(store, store)
    return store
  }

  publisher(opts: Parameters<PartFactory['publisher']>[0]) {
    const store = this.stores.get(opts.store)
    if (!store) throw new Error('DefaultParts.publisher() needs a store made by DefaultParts.store()')
    return new Publisher({ ...opts, store })
  }

  runtime(opts: Parameters<PartFactory['runtime']>[0]) {
    const fault = parseWorkerFault(this.opts.env?.[FAULT_ENV])
    if (fault)
      opts.log.warn({ fault }, `${FAULT_ENV} is set: a test fault is injected into the inference worker`)
    return new InferenceRuntime({ ...opts, fault })
  }

  cameras(opts: Parameters<PartFactory['cameras']>[0]) {
    // The runtime releases each frame as it takes it into a batch (inference-runtime.ts).
    return new CameraManager({ ...opts, flowControl: true })
  }
}
