// The MQTT detections message of the contract (design.md §2, docs/mqtt.md): topic, id
// and the JSON payload, built once at store time so a resend is byte-identical.
import type { InferenceResult } from '../runtime/types.js'
import type { EventChange } from '../tracking/object-events.js'

export interface StoredMessage {
  id: string
  camera: string
  seq: number
  topic: string
  payload: string
}

/** "<device>/<camera>/<seq, 12 digits>": stable across resends, sortable per camera. */
export function messageId(device: string, camera: string, seq: number): string {
  return `${device}/${camera}/${String(seq).padStart(12, '0')}`
}

export function detectionsTopic(prefix: string, device: string, camera: string): string {
  return `${prefix}/${device}/${camera}/detections`
}

export function statusTopic(prefix: string, device: string): string {
  return `${prefix}/${device}/status`
}

export function statsTopic(prefix: string, device: string): string {
  return `${prefix}/${device}/stats`
}

export function eventsTopic(prefix: string, device: string): string {
  return `${prefix}/${device}/events`
}

/** Outbox id of a message on a device-wide topic: "<device>/<stream>/<seq, 12 digits>". */
export function streamMessageId(device: string, stream: string, seq: number): string {
  return `${device}/${stream}/${String(seq).padStart(12, '0')}`
}

const r1 = (v: number) => Math.round(v * 10) / 10
const r3 = (v: number) => Math.round(v * 1000) / 1000

/** An event message of the contract (design.md §2); `id` is the event's, stable for its life. */
export function buildEventMessage(
  change: EventChange,
  device: string,
  seq: number,
  topicPrefix: string,
): StoredMessage {
  const b = change.body
  const payload = JSON.stringify({
    type: change.type,
    id: b.id,
    seq,
    device,
    camera: b.camera,
    label: b.label,
    score: r3(b.score),
    top_score: r3(b.top_score),
    start_ts: b.start_ts,
    end_ts: b.end_ts,
    ts: b.ts,
    pts: b.pts,
    box: b.box.map(r1),
    zones: b.zones,
    entered_zones: b.entered_zones,
    stationary: b.stationary,
    frames: b.frames,
    snapshot: b.snapshot
      ? { ts: b.snapshot.ts, score: r3(b.snapshot.score), box: b.snapshot.box.map(r1), url: b.snapshot.url }
      : null,
  })
  return {
    id: streamMessageId(device, 'events', seq),
    camera: b.camera,
    seq,
    topic: eventsTopic(topicPrefix, device),
    payload,
  }
}

export function buildMessage(
  result: InferenceResult,
  device: string,
  seq: number,
  topicPrefix: string,
): StoredMessage {
  const id = messageId(device, result.camera, seq)
  // Key order is the contract's; build the object literally rather than spreading.
  const payload = JSON.stringify({
    id,
    seq,
    device,
    camera: result.camera,
    ts: result.ts,
    pts: result.pts,
    frame: { width: result.frame.width, height: result.frame.height },
    model: result.model,
    inference_ms: result.inference_ms,
    objects: result.objects.map((o) =>
      o.event === undefined
        ? { label: o.label, class: o.class, score: o.score, box: o.box }
        : { label: o.label, class: o.class, score: o.score, box: o.box, event: o.event },
    ),
  })
  return {
    id,
    camera: result.camera,
    seq,
    topic: detectionsTopic(topicPrefix, device, result.camera),
    payload,
  }
}

export function crossingsTopic(prefix: string, device: string): string {
  return `${prefix}/${device}/crossings`
}

/** A line crossing message of the contract (design.md §2). */
export function buildCrossingMessage(
  c: { camera: string; line: string; direction: 'in' | 'out'; event: string; label: string; ts: number },
  device: string,
  seq: number,
  topicPrefix: string,
): StoredMessage {
  const id = streamMessageId(device, 'crossings', seq)
  const payload = JSON.stringify({
    id,
    seq,
    device,
    camera: c.camera,
    line: c.line,
    direction: c.direction,
    event: c.event,
    label: c.label,
    ts: c.ts,
  })
  return { id, camera: c.camera, seq, topic: crossingsTopic(topicPrefix, device), payload }
}
