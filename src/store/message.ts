// The MQTT detections message of the contract (design.md §2, docs/mqtt.md): topic, id
// and the JSON payload, built once at store time so a resend is byte-identical.
import type { InferenceResult } from '../runtime/types.js'

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
    objects: result.objects.map((o) => ({ label: o.label, class: o.class, score: o.score, box: o.box })),
  })
  return {
    id,
    camera: result.camera,
    seq,
    topic: detectionsTopic(topicPrefix, device, result.camera),
    payload,
  }
}
