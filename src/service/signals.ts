// Process-level glue for `edgewatch run`: start the controller, stop it on SIGTERM or
// SIGINT (a second signal forces exit), reload on SIGHUP.
import type { Logger } from '../log/logger.js'
import type { Controller } from './controller.js'
import { EXIT } from '../cli/exit-codes.js'

export async function runUntilSignal(controller: Controller, log: Logger): Promise<number> {
  let stopping: Promise<void> | null = null
  let resolveStopped!: (code: number) => void
  const stopped = new Promise<number>((r) => (resolveStopped = r))

  const onStop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second stop signal: exiting without finishing the drain')
      resolveStopped(EXIT.FAILURE)
      return
    }
    log.info({ signal }, 'stopping')
    stopping = controller.stop().then(
      () => resolveStopped(EXIT.OK),
      (err: unknown) => {
        log.error({ err }, 'stop failed')
        resolveStopped(EXIT.FAILURE)
      },
    )
  }
  const onHup = () => {
    controller.reload().catch((err: unknown) => log.error({ err }, 'reload failed'))
  }
  // Signal handlers do not keep Node's event loop alive; the daemon must wait for one.
  const keepAlive = setInterval(() => undefined, 1 << 30)
  process.on('SIGTERM', onStop)
  process.on('SIGINT', onStop)
  process.on('SIGHUP', onHup)
  try {
    try {
      await controller.start()
    } catch (err) {
      log.fatal({ err }, 'start failed')
      await controller.stop().catch(() => undefined)
      return (err as { exitCode?: number }).exitCode ?? EXIT.FAILURE
    }
    return await stopped
  } finally {
    clearInterval(keepAlive)
    process.off('SIGTERM', onStop)
    process.off('SIGINT', onStop)
    process.off('SIGHUP', onHup)
  }
}
