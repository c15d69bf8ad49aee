import type { Command } from '../command.js'
import { parseCommandArgs } from '../args.js'
import { packageVersion } from '../version.js'
import { EXIT } from '../exit-codes.js'

export const versionCommand: Command = {
  name: 'version',
  summary: 'print the edgewatch, Node.js and onnxruntime versions',
  usage: 'edgewatch version',
  run(args, io) {
    parseCommandArgs(args, {})
    io.stdout.write(
      `edgewatch ${packageVersion()} (node ${process.version}, ${process.platform}/${process.arch})\n`,
    )
    return Promise.resolve(EXIT.OK)
  },
}
