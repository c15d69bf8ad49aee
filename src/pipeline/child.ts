// Starting and stopping one gst-launch-1.0 child.
//
// - Frames come on fd 3 (gdppay ! fdsink fd=3); fd 1 carries gst-launch's own `-v`
//   notify lines (where the source caps are read) and fd 2 its ERROR messages.
// - Each child leads its own process group (detached), so stop() signals the group.
// - No orphans when the daemon is SIGKILLed: the child is started through util-linux
//   `setpriv --pdeathsig KILL`, which sets PR_SET_PDEATHSIG and then execs gst-launch
//   (the setting survives exec), so the kernel kills the child when the daemon dies.
//   A stalled child may never write to its pipe, so EPIPE alone would not end it.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'

export const GST_LAUNCH = 'gst-launch-1.0'
const SETPRIV = '/usr/bin/setpriv'

export function havePdeathsigWrapper(): boolean {
  try {
    fs.accessSync(SETPRIV, fs.constants.X_OK)
    return true
  } catch {
    return false
  }
}

export interface SpawnedGst {
  child: ChildProcess
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export function spawnGst(args: string[], env: Record<string, string>, pdeathsig: boolean): SpawnedGst {
  const gstArgs = [GST_LAUNCH, '-v', ...args]
  const [cmd, ...argv] = pdeathsig ? [SETPRIV, '--pdeathsig', 'KILL', '--', ...gstArgs] : gstArgs
  const child = spawn(cmd!, argv, {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, ...env },
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }))
    // Spawn failures (ENOENT) emit 'error' and may never emit 'close'.
    child.once('error', () => resolve({ code: 127, signal: null }))
  })
  return { child, exited }
}

/** Signals the child's process group; falls back to the child alone. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {
      /* already gone */
    }
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is reaped. */
export async function stopGst(g: SpawnedGst, graceMs = 2000): Promise<void> {
  if (g.child.exitCode !== null || g.child.signalCode !== null) {
    await g.exited
    return
  }
  signalGroup(g.child, 'SIGTERM')
  const timer = setTimeout(() => signalGroup(g.child, 'SIGKILL'), graceMs)
  await g.exited
  clearTimeout(timer)
}
