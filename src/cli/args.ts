// Argument parsing on node:util parseArgs, turning its errors into usage errors (exit 64).
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from './command.js'

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}
