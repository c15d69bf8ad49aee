// What every part of the daemon shares: the lifecycle contract and the error that ends the
// process with a chosen exit code. A leaf module (it imports nothing of edgewatch), so the
// store, the runtime, the cameras and the publisher may all import it while the controller
// imports them: no import circle (test/architecture/layout.test.ts checks that).

/** A part of the daemon with a lifecycle. Constructors only assign; start()/stop() work. */
export interface Part {
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

/** Starts a part the daemon cannot run without: any failure becomes a FatalError saying what to do. */
export async function startCritical(part: Part, what: string, hint: string): Promise<void> {
  try {
    await part.start()
  } catch (err) {
    if (err instanceof FatalError) throw err
    throw new FatalError(`${what}: ${(err as Error).message}`, 1, hint)
  }
}
