// Process-level glue for `edgewatch run`: start the controller, stop it on SIGTERM or
// SIGINT (a second signal ends the process at once), reload on SIGHUP (`systemctl reload`,
// `kill -HUP`, and what systemd itself sends with Type=notify-reload); a part that fails
// for good while running (controller.failure) stops the daemon with its exit code.
import type { Logger } from '../log/logger.js'
import type { Controller } from './controller.js'
import { EXIT } from '../cli/exit-codes.js'
import { FatalError } from '../lifecycle.js'

export async function runUntilSignal(controller: Controller, log: Logger): Promise<number> {
  let stopping = false
  let resolveStopped!: (code: number) => void
  const stopped = new Promise<number>((r) => (resolveStopped = r))

  const onStop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(
        { signal },
        'second stop signal: exiting now without finishing the stop (unsent messages stay in the outbox)',
      )
      // The signal's own default action: it ends the process whatever still runs (open
      // sockets, camera children, a thread busy in native code), which an exit() would
      // wait for. The children follow by their parent-death signal.
      process.off('SIGTERM', onStop)
      process.off('SIGINT', onStop)
      process.kill(process.pid, signal)
      return
    }
    stopping = true
    log.info({ signal }, 'stop requested')
    controller.stop().then(
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
      const fatal = err instanceof FatalError ? err : null
      log.fatal(
        { err, hint: fatal?.hint },
        `edgewatch could not start: ${(err as Error).message}${fatal?.hint ? ` (what to do: ${fatal.hint})` : ''}`,
      )
      await controller.stop().catch(() => undefined)
      return fatal?.exitCode ?? (err as { exitCode?: number }).exitCode ?? EXIT.FAILURE
    }
    const failed = controller.failure.then((err) => {
      if (stopping) return stopped
      stopping = true
      log.fatal(
        { hint: err.hint },
        `edgewatch stops: ${err.message} (what to do: ${err.hint ?? 'see the log'})`,
      )
      return controller.stop().then(
        () => err.exitCode,
        () => err.exitCode,
      )
    })
    return await Promise.race([stopped, failed])
  } finally {
    clearInterval(keepAlive)
    process.off('SIGTERM', onStop)
    process.off('SIGINT', onStop)
    process.off('SIGHUP', onHup)
  }
}
