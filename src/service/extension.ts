// How a feature plugs into the daemon (zigbee2mqtt's lib/extension/ is the model): one
// file in service/extensions/ with a class implementing Extension, one line in
// extensions/index.ts. The controller starts the core parts, then the extensions in list
// order, and stops them in reverse; everything else an extension does, it does through
// the ExtensionContext: notifications on the bus, routes on the HTTP table, collectors on
// the Prometheus registry, contributions to status, stats and health.
import type { Registry } from 'prom-client'
import type { Logger } from '../log/logger.js'
import type { ResolvedConfig } from '../config/load.js'
import type { ApplyResult } from '../pipeline/camera-manager.js'
import type { DaemonBus } from './bus.js'
import type { HttpRoutes } from './http-routes.js'
import type { HealthCheck } from './health.js'
import type { SystemdNotifier } from './notify.js'
import type { DaemonStatus } from './status-model.js'
import type { ConfigDiff } from './config-diff.js'
import type { ResultStage } from './data-flow.js'

import type { ControllerState, CoreParts } from './core-parts.js'

export type { ControllerState, CoreParts } from './core-parts.js'

export interface ReloadOutcome {
  ok: boolean
  /** What changed and was applied, e.g. "cameras added: yard". */
  applied: string[]
  /** Changed keys that only take effect after a restart. */
  needs_restart: string[]
  /** Why the new file was rejected (the old config keeps running). */
  errors: string[]
}

export type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** One reload, handed to every extension's reconfigure() in list order. */
export interface Reconfiguration {
  readonly prev: ResolvedConfig
  readonly next: ResolvedConfig
  readonly diff: ConfigDiff
  readonly outcome: ReloadOutcome
  /**
   * The config that runs after the reload. It starts as `next` (with the keys that need a
   * restart kept at `prev`); an extension that cannot apply a section puts prev's back.
   */
  readonly effective: Mutable<ResolvedConfig>
  /** Cameras added, removed or restarted by this reload (set by the core reload). */
  cameras: ApplyResult | null
}

export interface ExtensionContext {
  readonly configPath: string
  readonly env: NodeJS.ProcessEnv
  /** The daemon's logger; an extension logs through a child named after it. */
  readonly log: Logger
  readonly bus: DaemonBus
  readonly routes: HttpRoutes
  readonly metrics: Registry
  readonly health: HealthCheck
  /** systemd's notify socket (no-ops outside systemd). */
  readonly notifier: SystemdNotifier
  readonly parts: CoreParts
  /** Adds a stage every result passes before it is recorded (service/data-flow.ts). */
  addStage(stage: ResultStage): () => void
  /** The running configuration (it changes on reload). */
  config(): ResolvedConfig
  state(): ControllerState
  /** Everything status, metrics and stats are made from, at one moment. */
  snapshot(): DaemonStatus
  /** The /api/status document, extension contributions included. */
  status(): Record<string, unknown>
  /** The MQTT stats message, extension contributions included. */
  stats(): Record<string, unknown>
  /** Re-reads the config file and applies it (SIGHUP does the same). */
  reload(): Promise<ReloadOutcome>
  /** Stops MQTT and starts it with new settings; false if it did not start. */
  replacePublisher(mqtt: ResolvedConfig['mqtt']): Promise<boolean>
  /** Removes credentials from free text that leaves the process. */
  redact(text: string): string
}

export interface Extension {
  /** For logs and errors, e.g. "status-http". */
  readonly name: string
  /** After the database, model and MQTT started; before the cameras start. */
  start?(): Promise<void> | void
  /**
   * After the cameras and inference stopped (the last results have been recorded), before
   * MQTT drains the outbox: what an extension still owes the outbox goes in now.
   */
  stop?(): Promise<void> | void
  /** A reload: apply what concerns this extension, and say what in `change.outcome`. */
  reconfigure?(change: Reconfiguration): Promise<void> | void
  /** Top-level keys added to /api/status. */
  status?(): Record<string, unknown>
  /** Top-level keys added to the MQTT stats message. */
  stats?(): Record<string, unknown>
  /** Problems a restart would not fix (shown by /healthz, never unhealthy). */
  warnings?(): string[]
}

export type ExtensionFactory = (ctx: ExtensionContext) => Extension
