// The labels counts are kept for: the model's, after detect.labels (the allow-list), so a
// label without an object reads 0 instead of being missing. Read from the running model
// and remembered, so the counts sent while stopping (model gone) still have every label.
import type { ExtensionContext } from './extension.js'

export class ModelLabels {
  private known: readonly string[] | null = null

  constructor(private readonly ctx: ExtensionContext) {}

  get(): string[] {
    const cfg = this.ctx.config()
    try {
      this.known = this.ctx.parts.runtime()?.info().labels ?? this.known
    } catch {
      /* the model is stopping: keep the labels we had */
    }
    const labels = this.known ?? cfg.model.labels ?? []
    return cfg.detect.labels ? labels.filter((l) => cfg.detect.labels!.includes(l)) : [...labels]
  }
}
