// The one ordered place where the daemon starts and stops (start: config → database →
// model → MQTT → cameras → HTTP; stop: the reverse). Each part is a small module with
// start()/stop(); this file only decides the order and what a failure means.
import type { Logger } from '../log/logger.js'
import type { ResolvedConfig } from '../config/load.js'
import { loadConfigFile } from '../config/load.js'
import { ConfigError } from '../config/errors.js'
import type { Part } from './part.js'

export interface ControllerOptions {
  configPath: string
  config: ResolvedConfig
  log: Logger
  env: NodeJS.ProcessEnv
}

export class Controller {
  private config: ResolvedConfig
  private readonly log: Logger
  private readonly started: Part[] = []
  private state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' = 'idle'

  constructor(private readonly opts: ControllerOptions) {
    this.config = opts.config
    this.log = opts.log.child({ module: 'controller' })
  }

  /** Parts in start order. */
  private buildParts(): Part[] {
    return []
  }

  async start(): Promise<void> {
    this.state = 'starting'
    const cams = Object.entries(this.config.cameras).filter(([, c]) => c.enabled)
    this.log.info(
      {
        device: this.config.device.id,
        config: this.opts.configPath,
        cameras: cams.map(([n]) => n),
        model: this.config.model.path,
      },
      'starting edgewatch',
    )
    for (const part of this.buildParts()) {
      try {
        await part.start()
        this.started.push(part)
        this.log.debug({ part: part.name }, 'started')
      } catch (err) {
        if (part.critical) throw err
        this.log.error({ err, part: part.name }, `${part.name} failed to start; continuing without it`)
      }
    }
    this.state = 'running'
    this.log.info('ready')
  }

  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return
    this.state = 'stopping'
    while (this.started.length > 0) {
      const part = this.started.pop()!
      try {
        await part.stop()
      } catch (err) {
        this.log.error({ err, part: part.name }, `${part.name} did not stop cleanly`)
      }
    }
    this.state = 'stopped'
    this.log.info('stopped')
  }

  /** Re-reads the config file; an invalid file leaves the running config untouched. */
  reload(): Promise<void> {
    try {
      const next = loadConfigFile(this.opts.configPath, { env: this.opts.env })
      this.config = next
      this.log.info('configuration reloaded')
    } catch (err) {
      if (err instanceof ConfigError) {
        this.log.error({ problems: err.lines() }, 'new configuration is invalid; keeping the running one')
      } else {
        throw err
      }
    }
    return Promise.resolve()
  }
}
