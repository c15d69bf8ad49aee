// The end-to-end tests' run of the daemon over one playback of a clip: start
// `edgewatch run --config FILE`, wait for ready, then until a frame near the clip's end
// has come back (or a minute past the clip's length), and stop it with SIGTERM.
import { BIN, REPO } from './cli.js'
import { startProcess, waitForOutput } from './process.js'

interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

/**
 * `reached(pts)`: whether a message with stream time >= pts has arrived. Resolves with the
 * daemon's exit code, after half a second for the last deliveries to reach subscribers.
 */
export async function playClipOnce(
  t: Teardown,
  config: string,
  clip: { frames: number; fps: number },
  reached: (pts: number) => boolean,
): Promise<number | null> {
  const daemon = startProcess(process.execPath, [BIN, 'run', '--config', config], { cwd: REPO })
  t.teardown(() => daemon.kill('SIGKILL'))
  await waitForOutput(daemon, (o) => o.includes('"msg":"ready"'), 120_000)
  const deadline = Date.now() + (clip.frames / clip.fps + 60) * 1000
  const lastPts = (clip.frames - 3) / clip.fps
  while (Date.now() < deadline && !reached(lastPts)) await new Promise((r) => setTimeout(r, 250))
  process.kill(daemon.child.pid!, 'SIGTERM')
  const { code } = await daemon.exited
  await new Promise((r) => setTimeout(r, 500))
  return code
}
