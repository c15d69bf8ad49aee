// The counts payload of the contract: {all: n, <label>: n, ...} with every label present,
// so a label without an object reads 0 instead of being missing.
export function countByLabel(labels: readonly string[], of: Iterable<string>): Record<string, number> {
  const out: Record<string, number> = { all: 0 }
  for (const l of labels) out[l] = 0
  for (const l of of) {
    out.all = (out.all ?? 0) + 1
    out[l] = (out[l] ?? 0) + 1
  }
  return out
}
