// Child processes for tests: started in their own process group so that a test can
// kill a server and everything it spawned, and always reaped in teardown.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

export interface Proc {
  child: ChildProcess
  output(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Signals the whole process group; resolves when the child has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>
}

export function startProcess(cmd: string, args: string[], opts: SpawnOptions = {}): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...opts })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
    child.on('error', () => resolve({ code: -1, signal: null }))
  })
  let done = false
  void exited.then(() => (done = true))
  return {
    child,
    output: () => out,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (done || child.pid === undefined) return
      try {
        process.kill(-child.pid, signal)
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
        } catch {
          /* already gone */
        }
      }, 5000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Waits until `predicate(output)` holds, or throws with the output so far. */
export async function waitForOutput(
  p: Proc,
  predicate: (out: string) => boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate(p.output())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for output; got:\n${p.output().slice(-2000)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
