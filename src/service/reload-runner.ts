// Live reload as a lifecycle step: one at a time, only while running, RELOADING=1 then
// READY=1 to systemd. An invalid file leaves everything as it is; a valid one is handed to
// the extensions (each applies its part, extensions/core-reload.ts the core parts'), and
// the keys that cannot change live are reported as needing a restart.
import type { Logger } from '../log/logger.js'
import { loadConfigFile, type ResolvedConfig } from '../config/load.js'
import { ConfigError } from '../config/errors.js'
import { diffConfig } from './config-diff.js'
import type { SystemdNotifier } from './notify.js'
import type { ControllerState, Mutable, Reconfiguration, ReloadOutcome } from './extension.js'

export interface ReloadRunnerOptions {
  configPath: string
  env: NodeJS.ProcessEnv
  log: Logger
  notifier: SystemdNotifier
  current: () => ResolvedConfig
  state: () => ControllerState
  setState: (s: ControllerState) => void
  /** Applies a valid new config (the extensions' reconfigure, in order). */
  apply: (change: Reconfiguration) => Promise<void>
  /** After a reload that ended while still running (READY was sent again). */
  done: () => void
}

export class ReloadRunner {
  private chain: Promise<unknown> = Promise.resolve()

  constructor(private readonly opts: ReloadRunnerOptions) {}

  /** Resolves when no reload runs (stop waits for it, bounded). */
  settled(): Promise<unknown> {
    return this.chain
  }

  run(): Promise<ReloadOutcome> {
    const run = this.chain.then(() => this.once())
    this.chain = run.catch(() => undefined)
    return run
  }

  private async once(): Promise<ReloadOutcome> {
    const { log, notifier } = this.opts
    const outcome: ReloadOutcome = { ok: true, applied: [], needs_restart: [], errors: [] }
    const state = this.opts.state()
    if (state !== 'running') {
      return { ...outcome, ok: false, errors: [`the daemon is ${state}; reload when it is running`] }
    }
    this.opts.setState('reloading')
    notifier.reloading()
    log.info({ config: this.opts.configPath }, 'reloading configuration')
    try {
      let next: ResolvedConfig
      try {
        next = loadConfigFile(this.opts.configPath, { env: this.opts.env })
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err
        const lines = err.lines()
        log.error({ problems: lines }, 'new configuration is invalid; keeping the running one')
        return { ...outcome, ok: false, errors: lines }
      }
      const prev = this.opts.current()
      const diff = diffConfig(prev, next)
      // What only a restart can change keeps running as it is.
      const effective: Mutable<ResolvedConfig> = {
        ...next,
        device: prev.device,
        storage: prev.storage,
        log: prev.log,
      }
      await this.opts.apply({ prev, next, diff, outcome, effective, cameras: null })
      outcome.needs_restart.push(...diff.needsRestart)
      log.info(
        { applied: outcome.applied, needs_restart: outcome.needs_restart, errors: outcome.errors },
        outcome.errors.length ? 'configuration reloaded with errors' : 'configuration reloaded',
      )
      if (outcome.needs_restart.length) {
        log.warn(
          { keys: outcome.needs_restart },
          `these settings take effect only after a restart (systemctl restart edgewatch): ${outcome.needs_restart.join(', ')}`,
        )
      }
      outcome.ok = outcome.errors.length === 0
      return outcome
    } catch (err) {
      log.error({ err }, 'reload failed')
      return { ...outcome, ok: false, errors: [...outcome.errors, (err as Error).message] }
    } finally {
      // A stop that came in meanwhile owns the state; READY after STOPPING would be wrong.
      if (this.opts.state() === 'reloading') {
        this.opts.setState('running')
        notifier.ready()
        this.opts.done()
      }
    }
  }
}
