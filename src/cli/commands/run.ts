import type { Command } from '../command.js'
import { parseCommandArgs } from '../args.js'
import { EXIT } from '../exit-codes.js'
import { loadConfigOrReport } from '../config-io.js'
import { DEFAULT_CONFIG_PATH } from '../../config/schema.js'
import { createLogger } from '../../log/logger.js'
import { makeRedactor } from '../../log/redact.js'
import { Controller } from '../../service/controller.js'
import { runUntilSignal } from '../../service/signals.js'
import { DefaultParts } from '../../service/default-parts.js'
import type { Logger } from '../../log/logger.js'

export const runCommand: Command = {
  name: 'run',
  summary: 'run the daemon in the foreground (systemd runs this)',
  usage: 'edgewatch run [--config FILE] [--log-format json|pretty] [--log-level LEVEL]',
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      config: { type: 'string', short: 'c' },
      'log-format': { type: 'string' },
      'log-level': { type: 'string' },
    })
    const fmt = values['log-format']
    if (fmt !== undefined && fmt !== 'json' && fmt !== 'pretty') {
      io.stderr.write(`--log-format: expected json or pretty, got "${fmt}"\n`)
      return EXIT.USAGE
    }
    const level = values['log-level']
    if (level !== undefined && !['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(level)) {
      io.stderr.write(`--log-level: expected trace, debug, info, warn, error or fatal, got "${level}"\n`)
      return EXIT.USAGE
    }
    const file = values.config ?? DEFAULT_CONFIG_PATH
    const cfg = loadConfigOrReport(file, io)
    if (cfg === null) return EXIT.CONFIG
    const redact = makeRedactor([cfg.mqtt.password, cfg.http.token].filter((s) => s !== undefined))
    const log = createLogger({
      level: (level as typeof cfg.log.level | undefined) ?? cfg.log.level,
      format: fmt ?? cfg.log.format,
      redact,
    })
    const controller = new Controller({
      configPath: file,
      config: cfg,
      log,
      env: io.env,
      parts: new DefaultParts({ env: io.env }),
      redact,
    })
    const code = await runUntilSignal(controller, log)
    endIfStillHeld(log)
    return code
  },
}

/**
 * Every part closes its own handles on stop (tested: the process exits right after
 * "stopped"). One thing cannot be closed: an inference thread busy in native code (a model
 * load or TensorRT engine build that the stop abandoned), which Node waits for at exit,
 * for many minutes. If the process is still here a moment after the stop, it ends itself
 * by SIGTERM's default action, which systemd counts as a clean stop.
 */
function endIfStillHeld(log: Logger, graceMs = 3000): void {
  setTimeout(() => {
    log.warn(
      { holding: process.getActiveResourcesInfo() },
      'stopped, but the process is still held (an inference thread busy in native code); ending it',
    )
    process.kill(process.pid, 'SIGTERM')
  }, graceMs).unref()
}
