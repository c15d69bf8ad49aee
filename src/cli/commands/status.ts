import type { Command } from '../command.js'
import { parseCommandArgs } from '../args.js'
import { EXIT } from '../exit-codes.js'
import { loadConfigOrReport } from '../config-io.js'
import { DEFAULT_CONFIG_PATH } from '../../config/schema.js'
import { requestDaemon } from './daemon-http.js'

interface CameraRow {
  state: string
  frames: { received: number; processed: number; dropped: number }
  fps: number
  fps_in: number
  /** Absent from daemons older than this CLI. */
  latency_ms?: number | null
  restarts: number
  last_error: string | null
}

interface StatusJson {
  device: string
  pid: number
  state: string
  uptime_s: number
  model: { name: string; provider: string } | null
  inference: { p50_ms: number; p99_ms: number; queued: number } | null
  outbox: { backlog: number; dropped: number }
  mqtt: { connected: boolean } | null
  health: { healthy: boolean; reasons: string[]; warnings: string[] }
  cameras: Record<string, CameraRow>
}

function duration(s: number): string {
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return h > 0
    ? `${h}h${String(m).padStart(2, '0')}m`
    : m > 0
      ? `${m}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`
}

/** A plain-text table: columns padded to their widest cell. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(head), ...rows.map(line)].join('\n') + '\n'
}

export function formatStatus(s: StatusJson): string {
  const out: string[] = []
  const health = s.health.healthy ? 'healthy' : `UNHEALTHY: ${s.health.reasons.join('; ')}`
  out.push(`edgewatch ${s.device} (pid ${s.pid}, up ${duration(s.uptime_s)}): ${s.state}, ${health}`)
  const inf = s.inference
    ? `inference p50 ${s.inference.p50_ms.toFixed(1)} ms, p99 ${s.inference.p99_ms.toFixed(1)} ms`
    : 'inference not running'
  const mqtt = s.mqtt ? (s.mqtt.connected ? 'MQTT connected' : 'MQTT disconnected') : 'MQTT off'
  out.push(
    `model ${s.model?.name ?? '-'} on ${s.model?.provider ?? '-'}; ${inf}; outbox backlog ${s.outbox.backlog}; ${mqtt}`,
  )
  for (const w of s.health.warnings) out.push(`warning: ${w}`)
  out.push('')
  const rows = Object.entries(s.cameras).map(([name, c]) => [
    name,
    c.state,
    c.fps_in.toFixed(1),
    c.fps.toFixed(1),
    c.latency_ms == null ? '-' : `${Math.round(c.latency_ms)} ms`,
    String(c.frames.received),
    String(c.frames.processed),
    String(c.frames.dropped),
    String(c.restarts),
    c.last_error ?? '-',
  ])
  return (
    out.join('\n') +
    '\n' +
    table(
      [
        'CAMERA',
        'STATE',
        'FPS IN',
        'FPS',
        'LATENCY',
        'RECEIVED',
        'PROCESSED',
        'DROPPED',
        'RESTARTS',
        'LAST ERROR',
      ],
      rows,
    )
  )
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'show the running daemon: per-camera state, fps, frames, EP, outbox backlog (--json)',
  usage: 'edgewatch status [--config FILE] [--json]',
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
    })
    const file = values.config ?? DEFAULT_CONFIG_PATH
    const cfg = loadConfigOrReport(file, io)
    if (cfg === null) return EXIT.CONFIG
    const body = await requestDaemon({
      cfg,
      file,
      io,
      verb: 'status',
      path: '/api/status',
      timeoutMs: 5_000,
      accept: [200],
      whenDisabled: 'the daemon has no status server',
    })
    if (typeof body === 'number') return body
    if (values.json) {
      io.stdout.write(body.endsWith('\n') ? body : body + '\n')
      return EXIT.OK
    }
    io.stdout.write(formatStatus(JSON.parse(body) as StatusJson))
    return EXIT.OK
  },
}
