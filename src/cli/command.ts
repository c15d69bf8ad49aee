// The shape every CLI verb has; main.ts dispatches on the first argument.
import type { Writable } from 'node:stream'

export interface CliIo {
  stdout: Writable
  stderr: Writable
  env: NodeJS.ProcessEnv
}

export interface Command {
  name: string
  summary: string
  usage: string
  /** Returns the process exit code. */
  run(args: string[], io: CliIo): Promise<number>
}

export class UsageError extends Error {
  override name = 'UsageError'
}
