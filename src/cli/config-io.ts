// Loads the config for a CLI verb and prints every problem (no stack trace) on failure.
import type { CliIo } from './command.js'
import { ConfigError } from '../config/errors.js'
import { loadConfigFile, type ResolvedConfig } from '../config/load.js'

export function loadConfigOrReport(file: string, io: CliIo): ResolvedConfig | null {
  try {
    return loadConfigFile(file, { env: io.env })
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.lines()) io.stderr.write(line + '\n')
      io.stderr.write(`${err.problems.length} problem(s); nothing was started. See docs/configuration.md.\n`)
      return null
    }
    throw err
  }
}
