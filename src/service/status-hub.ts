// Where status, stats, health and metrics read the daemon from: one snapshot of the core
// parts (status-model.ts), the extensions' contributions merged in, and the health check
// whose warnings include theirs.
import type { ResolvedConfig } from '../config/load.js'
import type { DataFlow } from './data-flow.js'
import type { EventLoopMonitor } from './loop-monitor.js'
import { DEFAULT_HEALTH_LIMITS, HealthCheck, type HealthLimits } from './health.js'
import { buildStats, buildStatus, coreWarnings, takeSnapshot, type DaemonStatus } from './status-model.js'
import type { ControllerState, CoreParts, Extension, ExtensionContext } from './extension.js'

export interface StatusHubOptions {
  configPath: string
  config: () => ResolvedConfig
  state: () => ControllerState
  startedAt: () => number
  parts: CoreParts
  flow: DataFlow
  loop: EventLoopMonitor
  /** The extensions that run now (their contributions are merged in). */
  extensions: () => readonly Extension[]
  redact: (text: string) => string
  healthLimits?: Partial<HealthLimits>
}

export class StatusHub {
  readonly health: HealthCheck

  constructor(private readonly opts: StatusHubOptions) {
    this.health = new HealthCheck(
      {
        state: opts.state,
        inference: () => safely(() => opts.parts.runtime()?.stats()) ?? null,
        loopLag: (w) => opts.loop.maxLag(w),
        reloading: () => opts.state() === 'reloading',
        warnings: () => this.warnings(),
      },
      { ...DEFAULT_HEALTH_LIMITS, ...opts.healthLimits },
    )
  }

  snapshot(): DaemonStatus {
    const o = this.opts
    return takeSnapshot({
      config: o.config(),
      configPath: o.configPath,
      state: o.state(),
      startedAt: o.startedAt(),
      parts: o.parts,
      counters: o.flow.snapshot(),
      health: this.health.evaluate(),
      loop: { lagMs: o.loop.currentLag(), ...o.loop.delayStats() },
      redact: o.redact,
    })
  }

  /** What the extension context reads through the hub. */
  contextPart(): Pick<ExtensionContext, 'health' | 'snapshot' | 'status' | 'stats'> {
    return {
      health: this.health,
      snapshot: () => this.snapshot(),
      status: () => this.status(),
      stats: () => this.stats(),
    }
  }

  /** The /api/status document. */
  status(): Record<string, unknown> {
    return this.merged(buildStatus(this.snapshot()), (e) => e.status?.())
  }

  /** The MQTT stats message. */
  stats(): Record<string, unknown> {
    return this.merged(buildStats(this.snapshot()), (e) => e.stats?.())
  }

  private warnings(): string[] {
    const out = coreWarnings(this.opts.parts, this.opts.config())
    for (const e of this.opts.extensions()) out.push(...(safely(() => e.warnings?.()) ?? []))
    return out.map((w) => this.opts.redact(w))
  }

  private merged(
    base: Record<string, unknown>,
    pick: (e: Extension) => Record<string, unknown> | undefined,
  ): Record<string, unknown> {
    for (const e of this.opts.extensions())
      Object.assign(
        base,
        safely(() => pick(e)),
      )
    return base
  }
}

/** A part that throws while reporting (it is stopping) counts as absent. */
function safely<T>(fn: () => T | undefined): T | undefined {
  try {
    return fn()
  } catch {
    return undefined
  }
}
