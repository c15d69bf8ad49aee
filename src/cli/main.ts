// The `edgewatch` command line: dispatches to one module per verb.
import type { CliIo, Command } from './command.js'
import { UsageError } from './command.js'
import { EXIT } from './exit-codes.js'
import { runCommand } from './commands/run.js'
import { checkCommand } from './commands/check.js'
import { versionCommand } from './commands/version.js'
import { detectionsCommand } from './commands/detections.js'
import { eventsCommand } from './commands/events.js'
import { crossingsCommand } from './commands/crossings.js'
import { modelCommand } from './commands/model.js'
import { statusCommand } from './commands/status.js'
import { reloadCommand } from './commands/reload.js'

export function commands(): Command[] {
  return [
    runCommand,
    checkCommand,
    statusCommand,
    reloadCommand,
    detectionsCommand,
    eventsCommand,
    crossingsCommand,
    modelCommand,
    versionCommand,
  ]
}

function usage(list: Command[]): string {
  const width = Math.max(...list.map((c) => c.name.length))
  return [
    'usage: edgewatch <command> [options]',
    '',
    'commands:',
    ...list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `edgewatch <command> --help` for its options. Default config: /etc/edgewatch/config.yaml',
    '',
  ].join('\n')
}

export async function main(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  const list = commands()
  const [verb, ...rest] = argv
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    io.stdout.write(usage(list))
    return verb === undefined ? EXIT.USAGE : EXIT.OK
  }
  if (verb === '--version' || verb === '-V') return versionCommand.run([], io)
  const cmd = list.find((c) => c.name === verb)
  if (!cmd) {
    io.stderr.write(`edgewatch: unknown command "${verb}"\n\n${usage(list)}`)
    return EXIT.USAGE
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`usage: ${cmd.usage}\n\n${cmd.summary}\n`)
    return EXIT.OK
  }
  try {
    return await cmd.run(rest, io)
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`edgewatch ${cmd.name}: ${err.message}\nusage: ${cmd.usage}\n`)
      return EXIT.USAGE
    }
    io.stderr.write(`edgewatch ${cmd.name}: ${(err as Error).message}\n`)
    return EXIT.FAILURE
  }
}
