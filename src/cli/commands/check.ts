import type { Command } from '../command.js'
import { parseCommandArgs } from '../args.js'
import { EXIT } from '../exit-codes.js'
import { loadConfigOrReport } from '../config-io.js'
import { DEFAULT_CONFIG_PATH } from '../../config/schema.js'
import { redact } from '../../log/redact.js'

export const checkCommand: Command = {
  name: 'check',
  summary: 'validate the configuration file (--probe: also open the model and each camera once)',
  usage: 'edgewatch check [--config FILE] [--probe] [--json]',
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      config: { type: 'string', short: 'c' },
      probe: { type: 'boolean' },
      json: { type: 'boolean' },
    })
    const file = values.config ?? DEFAULT_CONFIG_PATH
    const cfg = loadConfigOrReport(file, io)
    if (cfg === null) return EXIT.CONFIG
    const cameras = Object.entries(cfg.cameras)
    if (values.json) {
      io.stdout.write(
        JSON.stringify({ ok: true, file, device: cfg.device.id, cameras: cameras.map(([n]) => n) }) + '\n',
      )
    } else {
      io.stdout.write(
        `${file}: ok (device ${cfg.device.id}, ${cameras.length} camera(s), model ${cfg.model.path})\n`,
      )
      for (const [name, cam] of cameras) {
        io.stdout.write(
          `  ${name}: ${redact(cam.url ?? `pipeline: ${cam.pipeline ?? ''}`)}${cam.enabled ? '' : ' (disabled)'}\n`,
        )
      }
    }
    if (values.probe) {
      const { probe } = await import('../probe.js')
      return probe(cfg, io)
    }
    return EXIT.OK
  },
}
