// `edgewatch model inspect FILE.onnx`: shows a model's inputs and outputs, the detected
// output format and a manifest to start from (docs/models.md).
import path from 'node:path'
import type { Command } from '../command.js'
import { UsageError } from '../command.js'
import { parseCommandArgs } from '../args.js'
import { EXIT } from '../exit-codes.js'

export const modelCommand: Command = {
  name: 'model',
  summary: 'inspect an ONNX model: inputs, outputs, detected format, a manifest to start from',
  usage: 'edgewatch model inspect FILE.onnx [--json]',
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } }, true)
    const [sub, file, ...extra] = positionals
    if (sub !== 'inspect')
      throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'missing subcommand "inspect"')
    if (!file) throw new UsageError('missing FILE.onnx')
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`)
    const { inspectModel, formatInspectReport } = await import('../../runtime/inspect.js')
    const { ModelError } = await import('../../runtime/errors.js')
    try {
      const report = await inspectModel(path.resolve(file))
      io.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatInspectReport(report))
      return report.problem ? EXIT.CONFIG : EXIT.OK
    } catch (err) {
      if (!(err instanceof ModelError)) throw err
      io.stderr.write(`edgewatch model: ${err.message}\n`)
      return EXIT.CONFIG
    }
  },
}
