import type { Command } from '../command.js'
import { parseCommandArgs } from '../args.js'
import { EXIT } from '../exit-codes.js'
import { loadConfigOrReport } from '../config-io.js'
import { DEFAULT_CONFIG_PATH } from '../../config/schema.js'
import { requestDaemon } from './daemon-http.js'

interface Outcome {
  ok: boolean
  applied: string[]
  needs_restart: string[]
  errors: string[]
}

// POST /api/reload (loopback only) rather than SIGHUP: the daemon answers with what it
// applied or why it refused, and no pid file is needed. systemctl reload sends SIGHUP,
// which does the same without the answer.
export const reloadCommand: Command = {
  name: 'reload',
  summary: 'make the running daemon re-read its config file and apply the changes live',
  usage: 'edgewatch reload [--config FILE] [--json]',
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
    })
    const file = values.config ?? DEFAULT_CONFIG_PATH
    // Validate here first too, so the problems print in this terminal.
    const cfg = loadConfigOrReport(file, io)
    if (cfg === null) {
      io.stderr.write('the running daemon keeps its current configuration\n')
      return EXIT.CONFIG
    }
    const body = await requestDaemon({
      cfg,
      file,
      io,
      verb: 'reload',
      path: '/api/reload',
      method: 'POST',
      timeoutMs: 120_000,
      accept: [200, 422],
      whenDisabled: 'use systemctl reload edgewatch (SIGHUP)',
    })
    if (typeof body === 'number') return body
    const outcome = JSON.parse(body) as Outcome
    if (values.json) {
      io.stdout.write(JSON.stringify(outcome) + '\n')
    } else {
      for (const a of outcome.applied) io.stdout.write(`applied: ${a}\n`)
      if (outcome.ok && outcome.applied.length === 0) io.stdout.write('no changes\n')
      for (const k of outcome.needs_restart) io.stdout.write(`needs a restart to take effect: ${k}\n`)
      for (const e of outcome.errors) io.stderr.write(`error: ${e}\n`)
    }
    return outcome.ok ? EXIT.OK : EXIT.FAILURE
  },
}
