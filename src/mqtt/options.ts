// MQTT.js client options from the `mqtt:` config: transport and TLS files, credentials,
// protocol version, client id, the retained `offline` last will.
import fs from 'node:fs'
import type { IClientOptions } from 'mqtt'
import type { ResolvedConfig } from '../config/load.js'
import { statusTopic } from '../store/message.js'

export type MqttConfig = ResolvedConfig['mqtt']

export interface ReconnectBackoff {
  /** First delay after a lost connection (ms). */
  minMs: number
  /** Upper bound of the doubling delay (ms). */
  maxMs: number
}

export const DEFAULT_BACKOFF: ReconnectBackoff = { minMs: 1000, maxMs: 30_000 }

/** Client id: configured, or edgewatch-<device>, unique per device on a shared broker. */
export function clientId(cfg: MqttConfig, deviceId: string): string {
  return cfg.client_id ?? `edgewatch-${deviceId}`
}

function readPem(what: string, file: string | undefined): Buffer | undefined {
  if (!file) return undefined
  try {
    return fs.readFileSync(file)
  } catch (err) {
    throw new Error(`mqtt.${what}: cannot read ${file}: ${(err as Error).message}`)
  }
}

/** Throws (with the config key) when a TLS file cannot be read. */
export function buildClientOptions(
  cfg: MqttConfig,
  deviceId: string,
  backoff = DEFAULT_BACKOFF,
): IClientOptions {
  const secure = /^(mqtts|wss):/i.test(cfg.url)
  const opts: IClientOptions = {
    clientId: clientId(cfg, deviceId),
    protocolVersion: cfg.protocol_version,
    keepalive: cfg.keepalive,
    // We publish only; a clean session is enough. QoS 1 messages in flight when a
    // connection drops are re-sent by MQTT.js itself on the next connection (its
    // in-memory outgoing store, in order, with their callbacks), and after a restart by
    // us from the outbox. See docs/mqtt.md "Ordering and duplicates".
    clean: true,
    reconnectPeriod: backoff.minMs,
    connectTimeout: 10_000,
    // Never queue while offline: the outbox is the queue.
    queueQoSZero: false,
    will: {
      topic: statusTopic(cfg.topic_prefix, deviceId),
      payload: Buffer.from('offline'),
      qos: 1,
      retain: true,
    },
  }
  if (cfg.username !== undefined) opts.username = cfg.username
  if (cfg.password !== undefined) opts.password = cfg.password
  if (secure) {
    const ca = readPem('ca', cfg.ca)
    const cert = readPem('cert', cfg.cert)
    const key = readPem('key', cfg.key)
    if (ca) opts.ca = ca
    if (cert) opts.cert = cert
    if (key) opts.key = key
    opts.rejectUnauthorized = cfg.reject_unauthorized
  }
  return opts
}
