// The daemon under its unit's sandbox, as far as it can be built without systemd as PID 1
// (test/deploy/sandbox/run-as-unit.sh: mount namespace, user nobody, no capabilities,
// no_new_privs, UMask, the unit's environment only, and its system call filter through
// seccomp): first that the sandbox is real, then that the daemon starts, streams a
// camera through its GStreamer child, stores, publishes, answers HTTP and stops with exit
// 0 inside it. What needs systemd itself (device and IP cgroup filters, namespace and
// personality restrictions) is listed in run-as-unit.sh and docs/deploy.md.
import t from 'tap'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import mqtt from 'mqtt'
import { REPO } from '../harness/cli.js'
import { startProcess } from '../harness/process.js'
import { tempDir } from '../harness/tmp.js'
import { freePort } from '../harness/ports.js'
import { startMosquitto } from '../harness/mosquitto.js'
import { startNotifyListener, getJson, waitFor, FIXTURE_MODEL } from '../service/daemon-harness.js'

const SANDBOX = path.join(REPO, 'test', 'deploy', 'sandbox', 'run-as-unit.sh')
const UNIT = path.join(REPO, 'deploy', 'edgewatch.service')
const CLIP = path.join(REPO, 'models', 'clip', 'shapes-clip.mp4')
const root = process.getuid?.() === 0
const skip = root ? false : 'needs root (a mount namespace)'

function sandboxed(state: string, script: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(SANDBOX, [UNIT, state, '--', 'sh', '-c', script], { timeout: 60_000 }, (err, out, errOut) =>
      resolve(out + errOut + (err ? `\n[exit ${String(err.code)}]` : '')),
    )
  })
}

const PROBE = `
import ctypes, socket
libc = ctypes.CDLL(None, use_errno=True)
print("ptrace", libc.ptrace(0, 0, 0, 0), ctypes.get_errno())
try:
    socket.socket(socket.AF_ALG, socket.SOCK_SEQPACKET)
    print("af_alg allowed")
except OSError as e:
    print("af_alg errno", e.errno)
socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print("af_inet allowed")
`

t.test('the sandbox is in force', { skip }, async (t) => {
  const state = tempDir(t)
  fs.writeFileSync(path.join(state, 'probe.py'), PROBE)
  const out = await sandboxed(
    state,
    'id -u; umask; touch /usr/edgewatch-x 2>&1; touch /var/lib/edgewatch/w && echo state writable; ' +
      'test -e /proc/1 || echo pid 1 invisible; python3 /var/lib/edgewatch/probe.py; env | sort',
  )
  t.match(out, /^65534\n0027\n/, 'user nobody, UMask 0027')
  t.match(out, /Read-only file system/, 'ProtectSystem=strict')
  t.match(out, /state writable/, 'StateDirectory')
  t.match(out, /pid 1 invisible/, 'ProtectProc=invisible')
  t.match(out, /ptrace -1 1\n/, 'SystemCallFilter: ptrace (@debug) fails with EPERM')
  t.match(out, /af_alg errno 1\n/, 'RestrictAddressFamilies: AF_ALG refused')
  t.match(out, /af_inet allowed/)
  const env = out.slice(out.indexOf('CUDA_CACHE_PATH'))
  t.notMatch(env, /^(NODE_OPTIONS|TAP)/m, "the unit's environment only")
})

t.test(
  'the daemon runs under the unit sandbox: streams, stores, publishes, stops with 0',
  { skip },
  async (t) => {
    const state = tempDir(t)
    const broker = await startMosquitto(t)
    const received: string[] = []
    const sub = await mqtt.connectAsync(broker.url, { clientId: 'sandbox-sub' })
    t.teardown(() => sub.endAsync(true))
    await sub.subscribeAsync('edgewatch/sandboxed/+/detections', { qos: 1 })
    sub.on('message', (_t, p) => received.push((JSON.parse(p.toString()) as { id: string }).id))
    const httpPort = await freePort()
    fs.writeFileSync(
      path.join(state, 'config.yaml'),
      [
        'device: { id: sandboxed }',
        `model: { path: ${FIXTURE_MODEL}, format: yolov5, labels: [person, car, dog], providers: [cpu], threads: 1 }`,
        'detect: { max_fps: 5 }',
        `cameras: { gate: { url: "file://${CLIP}", loop: true } }`,
        'storage: { path: /var/lib/edgewatch/edgewatch.db }',
        `mqtt: { url: "${broker.url}" }`,
        `http: { listen: "127.0.0.1:${httpPort}" }`,
        'service: { stop_timeout: 5 }',
      ].join('\n') + '\n',
    )
    const notify = await startNotifyListener(t, path.join(state, 'notify.sock'))
    const daemon = startProcess(
      SANDBOX,
      [
        UNIT,
        state,
        '--',
        '/usr/bin/node',
        path.join(REPO, 'bin', 'edgewatch.js'),
        'run',
        '--config',
        '/var/lib/edgewatch/config.yaml',
      ],
      { cwd: REPO, env: { ...process.env, SANDBOX_ENV: 'NOTIFY_SOCKET=/var/lib/edgewatch/notify.sock' } },
    )
    t.teardown(() => daemon.kill('SIGKILL'))
    await waitFor('READY=1', () => notify.messages().some((m) => m.msg === 'READY=1'), 90_000).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${daemon.output().slice(-3000)}`)
      },
    )
    const s = await waitFor(
      'frames processed',
      async () => {
        const st = await getJson(`http://127.0.0.1:${httpPort}/api/status`)
        return st.cameras.gate?.frames.processed > 5 ? st : null
      },
      60_000,
    )
    t.equal(s.cameras.gate.state, 'streaming', 'the GStreamer child streams under the filter')
    await waitFor('messages through the broker', () => received.length >= 3, 30_000)
    t.pass(`${received.length} detections published`)
    process.kill(daemon.child.pid!, 'SIGTERM')
    t.same(await daemon.exited, { code: 0, signal: null }, 'exit 0')
    const db = new Database(path.join(state, 'edgewatch.db'), { readonly: true })
    t.teardown(() => db.close())
    const n = (db.prepare('SELECT count(*) AS n FROM detections').get() as { n: number }).n
    t.ok(n > 0, `${n} detections stored in the state directory`)
    t.notMatch(daemon.output(), /EPERM|Operation not permitted/, 'no call was refused')
  },
)
