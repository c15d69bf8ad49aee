// Runs the edgewatch CLI: in-process through main() for speed, or as the real
// executable (bin/edgewatch.js, needs `npm run build`) for exit codes and signals.
import path from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { main } from '../../src/cli/main.js'

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN = path.join(REPO, 'bin', 'edgewatch.js')

function sink(): { stream: Writable; text: () => string } {
  let text = ''
  return {
    stream: new Writable({
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString()
        cb()
      },
    }),
    text: () => text,
  }
}

export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = sink()
  const err = sink()
  const code = await main(args, { stdout: out.stream, stderr: err.stream, env: { ...process.env, ...env } })
  return { code, stdout: out.text(), stderr: err.text() }
}
