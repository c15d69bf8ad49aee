// No credential in any process's argv, and no daemon secret in a child's environment,
// read from /proc like any local user (`ps`) or the child's owner would. The real daemon
// with two cameras: one behind RTSP basic auth whose password ends in a backslash and
// holds a quote and a space (it must still stream: the child sets it as a property, no
// quoting), one file; the daemon's environment carries an MQTT password and an
// unrelated secret as a systemd EnvironmentFile would.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { BIN, REPO } from '../harness/cli.js'
import { startProcess } from '../harness/process.js'
import { tempDir } from '../harness/tmp.js'
import { freePort } from '../harness/ports.js'
import { startRtspServer } from '../harness/rtsp-server.js'
import { getJson, waitFor, writeDaemonConfig } from './daemon-harness.js'

const CAMERA_USER = 'viewer'
const CAMERA_PASSWORD = 'p@ss "w\\'
const MQTT_PASSWORD = 'mqtt-s3cret-4711'
const OTHER_SECRET = 'other-s3cret-0815'
const CLIP = path.join(REPO, 'models', 'clip', 'shapes-clip.mp4')

/** Every process below `pid` (children, their children...). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>()
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8')
      // comm may hold spaces and parentheses: the fields after the last ')' are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parent.set(Number(name), ppid)
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = []
  const walk = (p: number) => {
    for (const [child, pp] of parent) {
      if (pp === p) {
        out.push(child)
        walk(child)
      }
    }
  }
  walk(pid)
  return out
}

const read = (pid: number, what: 'cmdline' | 'environ') =>
  fs.readFileSync(`/proc/${pid}/${what}`, 'utf8').split('\0').filter(Boolean)

t.test('no credential in any argv, no daemon secret in any child environment', async (t) => {
  const dir = tempDir(t)
  const rtsp = await startRtspServer(t, {
    mounts: { '/a': 'testsrc' },
    width: 320,
    height: 240,
    fps: 5,
    user: CAMERA_USER,
    password: CAMERA_PASSWORD,
  })
  const httpPort = await freePort()
  const file = path.join(dir, 'config.yaml')
  const auth = `${CAMERA_USER}:${encodeURIComponent(CAMERA_PASSWORD)}`
  writeDaemonConfig(file, {
    dir,
    httpPort,
    brokerUrl: 'mqtt://127.0.0.1:9',
    cameras: {
      a: `rtsp://${auth}@127.0.0.1:${rtsp.port}/a`,
      b: `file://${CLIP}`,
    },
  })
  // The MQTT password comes from the environment, as the unit's EnvironmentFile gives it.
  const text = fs
    .readFileSync(file, 'utf8')
    .replace(
      /^mqtt: \{ url: "([^"]+)"/m,
      'mqtt: { url: "$1", username: cam, password: "${EDGEWATCH_MQTT_PASSWORD}"',
    )
    .replace(`b: { url: "file://${CLIP}" }`, `b: { url: "file://${CLIP}", loop: true }`)
  fs.writeFileSync(file, text)
  // Without tap's NODE_OPTIONS (env execs node, same pid): tap's process-info hook would
  // add its own variables to every child the daemon spawns.
  const daemon = startProcess(
    '/usr/bin/env',
    ['-u', 'NODE_OPTIONS', process.execPath, BIN, 'run', '--config', file],
    {
      cwd: REPO,
      env: { ...process.env, EDGEWATCH_MQTT_PASSWORD: MQTT_PASSWORD, OTHER_SECRET },
    },
  )
  t.teardown(() => daemon.kill('SIGKILL'))
  const pid = daemon.child.pid!
  const base = `http://127.0.0.1:${httpPort}`
  await waitFor(
    'both cameras streaming',
    async () => {
      const s = await getJson(`${base}/api/status`)
      return s.cameras.a?.state === 'streaming' && s.cameras.b?.state === 'streaming'
    },
    90_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${daemon.output().slice(-3000)}`)
  })
  t.pass('the camera whose password ends in a backslash streams')

  const children = descendants(pid)
  const cameraOf = (p: number) => {
    const argv = read(p, 'cmdline')
    const i = argv.indexOf('--camera')
    return i >= 0 ? argv[i + 1] : null
  }
  const cams = children.map(cameraOf)
  t.ok(cams.includes('a') && cams.includes('b'), `one child per camera (${cams.join(', ')})`)
  for (const p of [pid, ...children]) {
    let argv: string[]
    let env: string[]
    try {
      argv = read(p, 'cmdline')
      env = read(p, 'environ')
    } catch {
      continue // a short-lived child (gst-inspect-1.0) that already ended
    }
    const cmd = argv.join(' ')
    // The password's core, in whatever quoting or encoding an argv would carry it.
    for (const secret of ['p@ss', 'p%40ss', MQTT_PASSWORD, OTHER_SECRET])
      t.notOk(cmd.includes(secret), `pid ${p} (${cmd.slice(0, 80)}): no secret in its argv`)
    if (p === pid) continue
    const envText = env.join('\n')
    t.notOk(envText.includes(MQTT_PASSWORD), `pid ${p}: no MQTT password in its environment`)
    t.notOk(envText.includes(OTHER_SECRET), `pid ${p}: nothing of the daemon's EnvironmentFile`)
    t.notOk(
      env.some((e) => /^(NODE_|TAP|_TAPJS|EDGEWATCH_MQTT)/.test(e)),
      `pid ${p}: a built environment, not the daemon's (${env.map((e) => e.split('=')[0]).join(' ')})`,
    )
    const mine = cameraOf(p) === 'a'
    t.equal(
      env.includes(`EDGEWATCH_RTSP_PASSWORD=${CAMERA_PASSWORD}`),
      mine,
      mine ? 'camera a child has its password' : `pid ${p} has no camera password`,
    )
  }
})
