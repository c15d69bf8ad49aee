// Bounded waits for shutdown paths: a stop must not hang on a promise that never settles,
// and the fallback timer must not itself keep the process alive afterwards.

/** Waits for `p` at most `ms`; the timer is cleared so it never holds the process open. */
export async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
}
