// What changed between the running config and a newly loaded one, per part, and which
// changed keys cannot be applied without a restart.
import type { ResolvedConfig } from '../config/load.js'

export interface ConfigDiff {
  model: boolean
  detect: boolean
  /** detect.max_fps alone: the cameras' default rate. */
  maxFps: boolean
  cameras: boolean
  mqtt: boolean
  http: boolean
  /** Dotted keys that changed and only take effect after a restart. */
  needsRestart: string[]
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** Dotted paths of the leaves that differ between a and b. */
export function changedKeys(a: unknown, b: unknown, at: string): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    return [...keys].flatMap((k) => changedKeys(a[k], b[k], at ? `${at}.${k}` : k))
  }
  return same(a, b) ? [] : [at]
}

export function diffConfig(prev: ResolvedConfig, next: ResolvedConfig): ConfigDiff {
  const { max_fps: prevFps, ...prevDetect } = prev.detect
  const { max_fps: nextFps, ...nextDetect } = next.detect
  const cams = (c: ResolvedConfig) =>
    Object.keys(c.cameras)
      .sort()
      .map((k) => [k, c.cameras[k]])
  return {
    model: !same(prev.model, next.model),
    detect: !same(prevDetect, nextDetect),
    maxFps: prevFps !== nextFps,
    cameras: !same(cams(prev), cams(next)),
    mqtt: !same(prev.mqtt, next.mqtt),
    http: !same(prev.http, next.http),
    needsRestart: [
      ...changedKeys(prev.device, next.device, 'device'),
      ...changedKeys(prev.storage, next.storage, 'storage'),
      ...changedKeys(prev.log, next.log, 'log'),
      // Topics and empty-frame messages are built by the store when a result is recorded.
      ...changedKeys(prev.mqtt.topic_prefix, next.mqtt.topic_prefix, 'mqtt.topic_prefix'),
      ...changedKeys(
        prev.mqtt.publish_empty_frames,
        next.mqtt.publish_empty_frames,
        'mqtt.publish_empty_frames',
      ),
    ],
  }
}
