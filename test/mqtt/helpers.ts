// A test subscriber that records every message, and a poll helper.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'

export interface Received {
  topic: string
  payload: string
  retain: boolean
}

export interface Subscriber {
  client: MqttClient
  messages: Received[]
  detections(): { id: string; seq: number; camera: string; payload: string }[]
  end(): Promise<void>
}

interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

export async function subscribe(
  t: Teardown,
  url: string,
  topics: string[],
  opts: IClientOptions = {},
): Promise<Subscriber> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 200, ...opts })
  const messages: Received[] = []
  client.on('message', (topic, payload, packet) =>
    messages.push({ topic, payload: payload.toString(), retain: packet.retain }),
  )
  await client.subscribeAsync(topics, { qos: 1 })
  const end = async () => {
    await client.endAsync(true).catch(() => undefined)
  }
  t.teardown(end)
  return {
    client,
    messages,
    detections: () =>
      messages
        .filter((m) => m.topic.endsWith('/detections'))
        .map((m) => {
          const p = JSON.parse(m.payload) as { id: string; seq: number; camera: string }
          return { id: p.id, seq: p.seq, camera: p.camera, payload: m.payload }
        }),
    end,
  }
}

export async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * Checks at-least-once delivery in order: per camera, the first occurrences of the ids
 * are seq 1..n without gaps, in order, and every duplicate is byte-identical.
 */
export function checkDelivery(got: { id: string; seq: number; camera: string; payload: string }[]): {
  perCamera: Map<string, number>
  duplicates: number
  problems: string[]
} {
  const first = new Map<string, string>()
  const lastSeq = new Map<string, number>()
  const problems: string[] = []
  let duplicates = 0
  for (const m of got) {
    const seen = first.get(m.id)
    if (seen !== undefined) {
      duplicates++
      if (seen !== m.payload) problems.push(`duplicate ${m.id} differs`)
      continue
    }
    first.set(m.id, m.payload)
    const prev = lastSeq.get(m.camera) ?? 0
    if (m.seq !== prev + 1) problems.push(`${m.camera}: seq ${m.seq} after ${prev}`)
    lastSeq.set(m.camera, Math.max(prev, m.seq))
  }
  return { perCamera: lastSeq, duplicates, problems }
}
