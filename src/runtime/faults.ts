// Faults a test injects into the inference worker of a daemon that it runs as a child
// process, and so cannot reach into: EDGEWATCH_TEST_FAULT=<fault>. For tests only; the
// daemon logs a warning at start when it is set (docs/operations.md lists them).
//   load-hangs[:N]      load N and later (default 1: every load) never finish, in
//                       JavaScript: worker.terminate() ends them (a stop during start)
//   load-blocks:FIFO    every load blocks in native code (open() of a FIFO that nobody
//                       writes), as a TensorRT engine build does: terminate() cannot end it;
//                       FIFO.waiting appears just before it blocks
//   worker-crashes:N    the first worker dies from inside after N batches (it throws)
//   worker-crash-loop:N every worker dies after N batches (until the daemon gives up)

export type WorkerFault =
  | { kind: 'load-hangs'; fromLoad: number }
  | { kind: 'load-blocks'; fifo: string }
  | { kind: 'worker-crashes'; afterRuns: number; everyWorker: boolean }

export const FAULT_ENV = 'EDGEWATCH_TEST_FAULT'

/** The fault in `text` (the variable's value), null when unset; throws on a value it does not know. */
export function parseWorkerFault(text: string | undefined): WorkerFault | null {
  if (text === undefined || text === '') return null
  const [name, arg] = text.split(/:(.*)/s) as [string, string | undefined]
  const count = (fallback?: number): number => {
    const n = arg === undefined ? fallback : Number(arg)
    if (n === undefined || !Number.isInteger(n) || n < 1)
      throw new Error(`${FAULT_ENV}=${text}: expected a whole number >= 1 after "${name}:"`)
    return n
  }
  switch (name) {
    case 'load-hangs':
      return { kind: 'load-hangs', fromLoad: count(1) }
    case 'load-blocks':
      if (!arg) throw new Error(`${FAULT_ENV}=${text}: expected load-blocks:/path/to/fifo`)
      return { kind: 'load-blocks', fifo: arg }
    case 'worker-crashes':
      return { kind: 'worker-crashes', afterRuns: count(), everyWorker: false }
    case 'worker-crash-loop':
      return { kind: 'worker-crashes', afterRuns: count(), everyWorker: true }
    default:
      throw new Error(
        `${FAULT_ENV}=${text}: unknown fault (load-hangs[:N], load-blocks:FIFO, worker-crashes:N, worker-crash-loop:N)`,
      )
  }
}
