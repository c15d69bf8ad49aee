// How many intra-op threads onnxruntime gets when the config says `model.threads: auto`,
// and whether they spin. The model shares the cores with the camera children's decoders
// and the daemon's event loop. Since the children decode only what the model takes (flow
// control, pipeline/README.md) the model may have every core, as long as its idle threads
// sleep instead of spin-waiting for the next batch: measured on 2 cores, 2 threads without
// spinning gave the most frames end to end, 2 spinning threads the fewest (docs/benchmarks.md,
// throughput, section 7). Beyond 4 threads a model of this size stops scaling, and on a
// bigger box the cores are better left to more cameras' decoders.

/** Intra-op threads for `cores` logical CPUs (os.availableParallelism()). */
export function autoThreads(cores: number): number {
  return Math.max(1, Math.min(4, Math.floor(cores)))
}

/** The configured value, `auto` resolved for this machine. */
export function resolveThreads(configured: number | 'auto', cores: number): number {
  return configured === 'auto' ? autoThreads(cores) : configured
}

/**
 * onnxruntime session config entries (SessionOptions.extra, flattened with dots by the
 * binding): session.intra_op.allow_spinning "0" makes an idle pool thread sleep at once
 * instead of spinning for a while in case more work comes.
 */
export function spinEntries(spin: boolean): Record<string, unknown> {
  return { session: { intra_op: { allow_spinning: spin ? '1' : '0' } } }
}
