// A part of the daemon with a lifecycle. Constructors only assign fields; start() and
// stop() do the work, in the order the controller gives them.
export interface Part {
  readonly name: string
  /** A critical part failing to start stops the daemon; an optional one is logged and skipped. */
  readonly critical: boolean
  start(): Promise<void>
  stop(): Promise<void>
}

/** Thrown for failures that should end the process with a particular exit code. */
export class FatalError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly hint?: string,
  ) {
    super(message)
    this.name = 'FatalError'
  }
}
