// deploy/edgewatch.service passes `systemd-analyze verify` without a single warning,
// keeps the settings the daemon relies on, and rates at most 2.5 in `systemd-analyze
// security`, each remaining flag explained in the unit; deploy/config.example.yaml is a
// valid config. (Running the daemon under the unit's sandbox: service-sandbox.test.ts.)
import t from 'tap'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { parseConfig } from '../../src/config/load.js'
import { ConfigSchema } from '../../src/config/schema.js'
import { REPO } from '../harness/cli.js'
import { tempDir } from '../harness/tmp.js'

const UNIT = path.join(REPO, 'deploy', 'edgewatch.service')
const unitText = fs.readFileSync(UNIT, 'utf8')

/** Values of KEY= lines in the unit (a key may repeat). */
function values(key: string): string[] {
  return unitText
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1))
}

function verify(file: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('systemd-analyze', ['verify', file], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: stdout + stderr })
    })
  })
}

t.test('systemd-analyze verify accepts the unit without warnings', async (t) => {
  // verify checks that ExecStart's binary exists: point it at this machine's node when
  // that is not /usr/bin/node (install.sh does the same on a device).
  const dir = tempDir(t)
  const copy = path.join(dir, 'edgewatch.service')
  fs.writeFileSync(copy, unitText.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `))
  const r = await verify(copy)
  t.equal(r.code, 0, r.output)
  t.equal(r.output.trim(), '', 'no warnings (unknown keys are only warnings)')

  // The check is real: a misspelt key is reported.
  const bad = path.join(dir, 'sub', 'edgewatch.service')
  fs.mkdirSync(path.dirname(bad))
  fs.writeFileSync(bad, fs.readFileSync(copy, 'utf8').replace('WatchdogSec=30', 'WatchdogSecs=30'))
  t.match((await verify(bad)).output, /Unknown key 'WatchdogSecs'/)
})

t.test('the unit keeps what the daemon relies on', async (t) => {
  t.same(values('Type'), ['notify'])
  t.same(values('NotifyAccess'), ['main'])
  t.same(values('ExecStart'), [
    '/usr/bin/node /opt/edgewatch/bin/edgewatch.js run --config /etc/edgewatch/config.yaml',
  ])
  t.same(values('ExecReload'), ['/bin/kill -HUP $MAINPID'])
  t.same(values('Restart'), ['on-failure'])
  t.same(values('StateDirectory'), ['edgewatch edgewatch/trt'])
  t.same(values('ConfigurationDirectory'), ['edgewatch'])
  t.same(values('User'), ['edgewatch'])
  t.same(values('SupplementaryGroups'), ['video'])
  t.ok(Number(values('WatchdogSec')[0]) > 0)
  t.ok(Number(values('StartLimitBurst')[0]) > 0)
  // The drain timeout must fit inside the stop timeout, with room for the rest of shutdown.
  const drain = ConfigSchema.parse({}).service.stop_timeout
  t.ok(Number(values('TimeoutStopSec')[0]) >= drain + 10, 'TimeoutStopSec covers service.stop_timeout')
  for (const key of ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp']) t.same(values(key), ['yes'], key)
  t.same(values('ProtectSystem'), ['strict'])
  t.match(values('RestrictAddressFamilies')[0], /AF_UNIX AF_INET AF_INET6/)
  const allowed = values('DeviceAllow').join('\n')
  for (const dev of ['/dev/nvmap', '/dev/nvhost-ctrl-gpu', 'char-nvgpu*', 'char-video4linux']) {
    t.match(allowed, dev, `DeviceAllow ${dev}`)
  }
  // V8's JIT needs W+X memory; the GPU, codecs and cameras are devices.
  t.same(values('MemoryDenyWriteExecute'), [])
  t.same(values('PrivateDevices'), [])
  t.same(values('SystemCallFilter'), ['@system-service', '~@privileged'])
  t.same(values('SystemCallErrorNumber'), ['EPERM'], 'a filtered call fails, it does not kill the daemon')
  for (const key of ['RemoveIPC', 'PrivateMounts']) t.same(values(key), ['yes'], key)
  t.same(values('ProtectProc'), ['invisible'])
  t.same(values('IPAddressDeny'), ['any'])
  t.match(
    values('IPAddressAllow')[0],
    /^localhost link-local multicast 10\.0\.0\.0\/8 172\.16\.0\.0\/12 192\.168\.0\.0\/16/,
  )
})

function analyze(file: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      'systemd-analyze',
      ['security', '--offline=yes', '--no-pager', file],
      { timeout: 60_000, env: { ...process.env, SYSTEMD_COLORS: '0' } },
      (_err, stdout, stderr) => resolve(stdout + stderr),
    )
  })
}

t.test(
  'systemd-analyze security: exposure at most 2.5, every setting it flags says why in the unit',
  async (t) => {
    const out = await analyze(UNIT)
    const level = /Overall exposure level for edgewatch\.service: ([\d.]+)/.exec(out)
    t.ok(level, 'the analysis ran')
    if (!level) t.comment(out.slice(-2000))
    t.ok(Number(level![1]) <= 2.5, `exposure ${level![1]} (was 3.5 before issue 17)`)
    const comments = unitText
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .join('\n')
    const flagged = out
      .split('\n')
      .filter((l) => l.startsWith('✗'))
      .map((l) => l.slice(1).trim().split(/\s+/)[0]!)
    t.ok(flagged.length > 0, `${flagged.length} settings flagged`)
    for (const name of flagged) {
      // "SystemCallFilter=~@resources" → its group; "RestrictAddressFamilies=~AF_UNIX" → the
      // family; "RootDirectory=/RootImage=" → the first key.
      const key = name.split('=')[0]!
      const detail = /=~(@[\w-]+|AF_\w+)/.exec(name)?.[1]
      t.ok(comments.includes(key), `${name}: the unit's comments mention ${key}`)
      if (detail) t.ok(comments.includes(detail), `${name}: the unit's comments say why ${detail}`)
    }
  },
)

t.test('config.example.yaml is a valid configuration', async (t) => {
  const file = path.join(REPO, 'deploy', 'config.example.yaml')
  const cfg = parseConfig(fs.readFileSync(file, 'utf8'), file, { env: {}, checkFiles: false })
  t.equal(cfg.storage.path, '/var/lib/edgewatch/edgewatch.db', 'database inside StateDirectory')
  t.equal(cfg.model.tensorrt.cache_dir, '/var/lib/edgewatch/trt', 'engines inside StateDirectory')
  t.ok(cfg.model.tensorrt.fp16)
  t.ok(Object.keys(cfg.cameras).length > 0)
})
