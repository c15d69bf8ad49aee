// The daemon's notifications, typed: what the core data flow tells the extensions. A
// listener that throws is logged and the others still run, so a faulty feature cannot
// stop frames from reaching inference or results from reaching the database.
import type { Logger } from '../log/logger.js'
import type { Frame } from '../pipeline/frame.js'
import type { InferenceResult } from '../runtime/types.js'

export interface DaemonEvents {
  /** A camera delivered a frame. Its pixels are transferred to inference right after. */
  frame: [frame: Frame]
  /** A result was recorded (stored and handed to MQTT). */
  result: [result: InferenceResult]
  /** The MQTT connection is (again) up: retained state should be re-sent. */
  connected: []
  /** READY was sent: the daemon runs. */
  running: []
  /** A stop began (before anything stopped). */
  stopping: []
  /** An event's snapshot was written (the JPEG file). */
  snapshot: [camera: string, eventId: string, file: string]
}

type Listener<K extends keyof DaemonEvents> = (...args: DaemonEvents[K]) => void

export class DaemonBus {
  private readonly listeners = new Map<keyof DaemonEvents, Set<Listener<never>>>()

  constructor(private readonly log: Logger) {}

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof DaemonEvents>(event: K, fn: Listener<K>): () => void {
    let set = this.listeners.get(event)
    if (!set) {
      set = new Set()
      this.listeners.set(event, set)
    }
    set.add(fn)
    return () => set.delete(fn)
  }

  emit<K extends keyof DaemonEvents>(event: K, ...args: DaemonEvents[K]): void {
    const set = this.listeners.get(event)
    if (!set) return
    for (const fn of set) {
      try {
        ;(fn as Listener<K>)(...args)
      } catch (err) {
        this.log.error({ err, event }, `a ${event} listener threw`)
      }
    }
  }
}
