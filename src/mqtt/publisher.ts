// Delivers the outbox to the broker: in commit order (so per camera in seq order), QoS
// from the config, at most mqtt.max_inflight unacknowledged, deleting a row only when
// the broker acknowledged it. Nothing here waits for the broker: start() returns at
// once, notify() only schedules work, and an outage just lets the outbox grow.
import mqtt, { type MqttClient } from 'mqtt'
import type { Logger } from '../log/logger.js'
import type { ResolvedConfig } from '../config/load.js'
import type { Part } from '../lifecycle.js'
import type { Store, StoredMessage, OutboxRow } from '../store/store.js'
import { statusTopic } from '../store/message.js'
import { buildClientOptions, DEFAULT_BACKOFF, type ReconnectBackoff } from './options.js'
import { within } from '../timing/within.js'
import { LogThrottle } from '../log/throttle.js'

export interface PublisherOptions {
  mqtt: ResolvedConfig['mqtt']
  deviceId: string
  store: Store
  log: Logger
  /** Called on every (re)connection, after `online` was sent (retained state goes again). */
  onConnect?: () => void
  /** Reconnect delays (tests shorten them). */
  backoff?: ReconnectBackoff
  /** Redacts free text (errors) before it reaches status()/logs. */
  redact?: (text: string) => string
}

export interface PublisherStatus {
  connected: boolean
  published: number
  inflight: number
  backlog: number
  reconnects: number
  last_error: string | null
  live_sent: number
}

/** A message that does not go through the outbox: stats, retained state. */
export interface DirectPublish {
  topic: string
  payload: string | Buffer
  qos: 0 | 1 | 2
  retain: boolean
}

export class Publisher implements Part {
  private client: MqttClient | null = null
  private readonly log: Logger
  private readonly backoff: ReconnectBackoff
  /** Highest outbox rowid handed to MQTT.js. */
  private cursor = 0
  /** Rowids handed to MQTT.js and not yet acknowledged (MQTT.js re-sends them on reconnect). */
  private readonly inflight = new Set<number>()
  /** Acknowledged rowids not yet deleted (deleted in batches; kept if the disk refuses). */
  private readonly acked = new Set<number>()
  /** A publish failed: once in-flight settles, read the outbox again from the oldest row. */
  private resync = false
  /** The last delete of acknowledged rows failed (disk full, read-only): retried on a timer. */
  private deletesFailing = false
  private scheduled = false
  private retryTimer: NodeJS.Timeout | null = null
  private deleteRetry: NodeJS.Timeout | null = null
  private stopping = false
  private liveInflight = 0
  private counters = { published: 0, reconnects: 0, live_sent: 0, live_dropped: 0 }
  private lastError: string | null = null
  private readonly errorLog = new LogThrottle()
  private readonly subscriptions: { topic: string; onMessage: (payload: Buffer) => void }[] = []
  private delay: number

  constructor(private readonly opts: PublisherOptions) {
    this.log = opts.log.child({ module: 'mqtt' })
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF
    this.delay = this.backoff.minMs
  }

  private get prefix(): string {
    return this.opts.mqtt.topic_prefix
  }

  // Part.start() is async by contract; this one deliberately waits for nothing.
  // eslint-disable-next-line @typescript-eslint/require-await
  async start(): Promise<void> {
    const cfg = this.opts.mqtt
    if (!cfg.enabled) {
      this.log.info('mqtt.enabled is false: nothing is published (detections are still stored)')
      return
    }
    const options = buildClientOptions(cfg, this.opts.deviceId, this.backoff)
    const client = mqtt.connect(cfg.url, options)
    this.client = client
    client.on('connect', () => this.onConnect())
    client.on('close', () => this.onClose())
    client.on('reconnect', () => {
      this.counters.reconnects++
    })
    client.on('error', (err) => this.noteError(err))
    client.on('message', (topic, payload) => {
      for (const sub of this.subscriptions) {
        if (sub.topic !== topic) continue
        try {
          sub.onMessage(payload)
        } catch (err) {
          this.log.error({ err, topic }, 'a subscription handler threw')
        }
      }
    })
    this.log.info(
      { url: this.opts.redact ? this.opts.redact(cfg.url) : cfg.url, clientId: options.clientId },
      'connecting to the broker (not waiting: the outbox covers outages)',
    )
  }

  notify(msg: StoredMessage & { stored: boolean }): void {
    if (msg.stored) {
      this.schedule()
      return
    }
    // Not in the database (disk full): best effort, now or never.
    const client = this.client
    if (!client?.connected || this.liveInflight >= this.opts.mqtt.max_inflight) {
      this.counters.live_dropped++
      return
    }
    this.liveInflight++
    client.publish(msg.topic, msg.payload, { qos: this.opts.mqtt.qos }, (err) => {
      this.liveInflight--
      if (err) this.counters.live_dropped++
      else this.counters.live_sent++
    })
  }

  /**
   * Listens to one topic (e.g. Home Assistant's birth message); subscribed again on every
   * connection, since the session is clean.
   */
  subscribe(topic: string, onMessage: (payload: Buffer) => void): void {
    this.subscriptions.push({ topic, onMessage })
    if (this.client?.connected) this.client.subscribe(topic, { qos: 1 })
  }

  /** Sends now if connected (no outbox, no retry); false when there is no connection. */
  publishDirect(msg: DirectPublish): boolean {
    const client = this.client
    if (!client?.connected || this.stopping) return false
    client.publish(msg.topic, msg.payload, { qos: msg.qos, retain: msg.retain }, () => undefined)
    return true
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    const client = this.client
    if (!client) return
    const deadline = Date.now() + timeoutMs
    // Drain what is committed while the broker is there; whatever remains waits in the outbox.
    while (
      client.connected &&
      Date.now() < deadline &&
      (this.opts.store.backlog > this.acked.size || this.inflight.size > 0)
    ) {
      this.pump()
      await sleep(20)
    }
    this.stopping = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    if (this.deleteRetry) clearTimeout(this.deleteRetry)
    this.deleteRetry = null
    this.flushAcks(true)
    if (client.connected) {
      await within(
        client
          .publishAsync(statusTopic(this.prefix, this.opts.deviceId), 'offline', { qos: 1, retain: true })
          .catch(() => undefined),
        Math.max(200, Math.min(2000, deadline - Date.now())),
      )
    }
    await within(
      client.endAsync(false).catch(() => undefined),
      1000,
    )
    if (!client.disconnected) await client.endAsync(true).catch(() => undefined)
    this.flushAcks(true)
    this.client = null
    this.log.info({ published: this.counters.published, backlog: this.opts.store.backlog }, 'mqtt stopped')
  }

  status(): PublisherStatus {
    return {
      connected: this.client?.connected ?? false,
      published: this.counters.published,
      inflight: this.inflight.size,
      backlog: this.opts.store.backlog,
      reconnects: this.counters.reconnects,
      last_error: this.lastError,
      live_sent: this.counters.live_sent,
    }
  }

  // ---- internals ---------------------------------------------------------------------

  private onConnect(): void {
    for (const sub of this.subscriptions) this.client?.subscribe(sub.topic, { qos: 1 })
    this.delay = this.backoff.minMs
    if (this.client) this.client.options.reconnectPeriod = this.delay
    this.log.info(
      { backlog: this.opts.store.backlog, reconnects: this.counters.reconnects },
      'connected to the broker',
    )
    this.client?.publish(
      statusTopic(this.prefix, this.opts.deviceId),
      'online',
      { qos: 1, retain: true },
      () => undefined,
    )
    try {
      this.opts.onConnect?.()
    } catch (err) {
      this.log.error({ err }, 'onConnect handler threw')
    }
    this.schedule()
  }

  private onClose(): void {
    // MQTT.js reads reconnectPeriod when it arms the next attempt: double it up to the cap.
    this.delay = Math.min(this.backoff.maxMs, this.delay * 2)
    if (this.client && !this.stopping) this.client.options.reconnectPeriod = this.delay
  }

  private noteError(err: Error): void {
    const text = this.opts.redact ? this.opts.redact(err.message) : err.message
    this.lastError = text
    if (this.errorLog.take() !== null) {
      this.log.warn(
        { error: text, backlog: this.opts.store.backlog },
        'broker connection problem; messages wait in the outbox and are sent on reconnect',
      )
    }
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.pump()
    })
  }

  private scheduleAfter(ms: number): void {
    if (this.retryTimer) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      this.pump()
    }, ms)
    this.retryTimer.unref()
  }

  /** Hands outbox rows to MQTT.js until max_inflight are unacknowledged. */
  private pump(): void {
    this.flushAcks()
    const client = this.client
    if (!client?.connected || this.stopping) return
    const max = this.opts.mqtt.max_inflight
    if (this.resync) {
      if (this.inflight.size > 0 || this.retryTimer) return
      this.resync = false
      this.cursor = 0
    }
    // While deletes fail, acknowledged rows pile up in memory (and would all be sent again
    // after a restart): past a bound, wait for the retry instead of sending more.
    if (this.deletesFailing && this.acked.size >= max * ACKED_PER_INFLIGHT) return
    while (this.inflight.size < max) {
      // Only as many rows as can go out now: the cursor is past every row already handed
      // out, so acknowledged rows waiting for their delete are not read again.
      const rows = this.opts.store.pending(this.cursor, max - this.inflight.size)
      if (rows.length === 0) return
      for (const row of rows) {
        this.cursor = row.rowid
        if (this.acked.has(row.rowid) || this.inflight.has(row.rowid)) continue
        this.send(client, row)
        if (this.inflight.size >= max) return
      }
    }
  }

  private send(client: MqttClient, row: OutboxRow): void {
    this.inflight.add(row.rowid)
    // QoS 1/2: the callback runs on PUBACK/PUBCOMP (also after MQTT.js re-sent it on a new
    // connection); QoS 0: once written to the socket.
    client.publish(row.topic, row.payload, { qos: this.opts.mqtt.qos }, (err) => {
      this.inflight.delete(row.rowid)
      if (err) {
        // Refused (MQTT 5 reason code) or the client was ended: read the outbox again
        // from the oldest row, after a pause so a broker that refuses every message
        // (e.g. an ACL) is not hammered in a loop.
        this.resync = true
        this.noteError(err)
        this.scheduleAfter(this.backoff.minMs)
        return
      }
      this.acked.add(row.rowid)
      this.counters.published++
      this.schedule()
    })
  }

  private flushAcks(fromRetry = false): void {
    if (this.acked.size === 0) return
    // While failing, one attempt per retry pause, not one per PUBACK.
    if (this.deletesFailing && !fromRetry) return
    const rowids = [...this.acked]
    if (this.opts.store.acknowledge(rowids)) {
      this.acked.clear()
      this.deletesFailing = false
      return
    }
    this.deletesFailing = true
    if (this.deleteRetry || this.stopping) return
    this.deleteRetry = setTimeout(() => {
      this.deleteRetry = null
      this.flushAcks(true)
      this.pump()
    }, this.backoff.minMs)
    this.deleteRetry.unref()
  }
}

/** Acknowledged rows kept while their delete fails, per mqtt.max_inflight, before sending pauses. */
const ACKED_PER_INFLIGHT = 4

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
