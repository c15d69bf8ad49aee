// No camera child outlives the daemon: stopped and reaped on SIGTERM, killed by the
// kernel (PR_SET_PDEATHSIG, set by each child) when the daemon is SIGKILLed.
import t from 'tap'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startRtspServer } from '../harness/rtsp-server.js'
import { startProcess, waitForOutput } from '../harness/process.js'
import { processAlive, until } from './helpers.js'

const DAEMON = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'ingest-daemon.ts')

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  t.test(`no child survives a daemon ${signal}`, async (t) => {
    const s = await startRtspServer(t, {
      mounts: { '/a': 'testsrc', '/b': 'testsrc' },
      width: 320,
      height: 240,
      fps: 10,
    })
    // Its own process group like the harness's, but the daemon is signalled alone (a
    // systemd KillMode=mixed stop, or a kill -9 of the daemon's pid).
    const daemon = startProcess(
      process.execPath,
      ['--import', '@tapjs/typescript/import', DAEMON, s.url('/a'), s.url('/b')],
      {
        cwd: path.resolve(path.dirname(DAEMON), '..', '..', '..'),
      },
    )
    t.teardown(() => daemon.kill('SIGKILL'))
    await waitForOutput(daemon, (o) => o.includes('PIDS '), 60_000)
    const pids = Object.values(JSON.parse(/PIDS (.*)/.exec(daemon.output())![1]!) as Record<string, number>)
    t.equal(pids.length, 2)
    t.ok(pids.every(processAlive), 'children run')
    if (signal === 'SIGKILL') {
      // Freeze the server first: idle children never write, so never hit EPIPE on their
      // pipe; only the parent-death signal can end them.
      process.kill(-s.pid()!, 'SIGSTOP')
      t.teardown(() => {
        const pid = s.pid()
        if (pid) process.kill(-pid, 'SIGCONT')
      })
      await new Promise((r) => setTimeout(r, 500))
    }
    process.kill(daemon.child.pid!, signal)
    const exit = await daemon.exited
    if (signal === 'SIGTERM') {
      t.same(exit, { code: 0, signal: null })
      t.match(daemon.output(), /STOPPED/)
      t.ok(
        pids.every((p) => !processAlive(p)),
        'children stopped and reaped before the daemon exited',
      )
    } else {
      t.equal(exit.signal, 'SIGKILL')
      await until('children gone', () => pids.every((p) => !processAlive(p)), 10_000)
      t.pass('children died with the daemon')
    }
  })
}
