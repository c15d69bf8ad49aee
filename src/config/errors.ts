// A configuration problem names the key path it is about, so a person editing the file
// over SSH can go straight to it. All problems of one file travel together.

export interface ConfigProblem {
  /** Dotted key path, e.g. `cameras.gate.url`; '' for the file as a whole. */
  path: string
  message: string
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(`${file}: ${problems.length} configuration problem(s)`)
    this.name = 'ConfigError'
  }

  /** One line per problem: `file: path: what is wrong`. */
  lines(): string[] {
    return this.problems.map((p) =>
      p.path ? `${this.file}: ${p.path}: ${p.message}` : `${this.file}: ${p.message}`,
    )
  }
}
