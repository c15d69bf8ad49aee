// deploy/install.sh against a directory tree (--root): the plan, the tree it produces,
// idempotence, upgrade and uninstall. The app installed is a small fake build (bin, dist,
// models) around the real unit and config example, so the test does not depend on the
// model or a build being present; npm ci is skipped (--skip-npm), which keeps it offline.
import t from 'tap'
import { execFile } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { REPO } from '../harness/cli.js'
import { tempDir } from '../harness/tmp.js'

const INSTALL = path.join(REPO, 'deploy', 'install.sh')

interface Run {
  code: number
  stdout: string
  stderr: string
}

function install(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('bash', [INSTALL, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

/** A built edgewatch as install.sh expects it: bin, dist, lock files, model, deploy files. */
function fakeSource(dir: string): string {
  const src = path.join(dir, 'src')
  const write = (rel: string, text: string, mode = 0o644) => {
    fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true })
    fs.writeFileSync(path.join(src, rel), text, { mode })
  }
  write('bin/edgewatch.js', fs.readFileSync(path.join(REPO, 'bin', 'edgewatch.js'), 'utf8'), 0o755)
  write('dist/cli/main.js', 'export async function main() { return 0 }\n')
  write('dist/service/controller.js', '// v1\n')
  write('package.json', fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'))
  write('package-lock.json', '{"lockfileVersion": 3}\n')
  write('.npmrc', 'fund=false\n')
  write('models/csp-shapes.onnx', 'not really onnx')
  write('models/csp-shapes.yaml', 'format: yolox\n')
  for (const f of ['edgewatch.service', 'config.example.yaml']) {
    write(`deploy/${f}`, fs.readFileSync(path.join(REPO, 'deploy', f), 'utf8'))
  }
  return src
}

interface Entry {
  mode: number
  uid: number
  gid: number
  mtimeMs: number
  sha?: string
  link?: string
}

/** Every path under root with mode, owner, mtime and content hash. */
function snapshot(root: string): Map<string, Entry> {
  const out = new Map<string, Entry>()
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name)
      const st = fs.lstatSync(p)
      const e: Entry = { mode: st.mode, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs }
      if (st.isSymbolicLink()) e.link = fs.readlinkSync(p)
      else if (st.isFile()) e.sha = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')
      out.set(path.relative(root, p), e)
      if (st.isDirectory()) walk(p)
    }
  }
  walk(root)
  return out
}

const mode = (p: string) => fs.statSync(p).mode & 0o7777

t.test('--dry-run prints the whole plan and changes nothing', async (t) => {
  const dir = tempDir(t)
  const src = fakeSource(dir)
  const root = path.join(dir, 'root')
  fs.mkdirSync(root)
  const r = await install(['--dry-run', '--root', root, '--source', src, '--skip-npm'])
  t.equal(r.code, 0, r.stderr)
  for (const line of [
    'would: install /opt/edgewatch/bin/edgewatch.js',
    'would: install /opt/edgewatch/dist/cli/main.js',
    'would: install /opt/edgewatch/models/csp-shapes.onnx',
    'would: link /usr/local/bin/edgewatch -> /opt/edgewatch/bin/edgewatch.js',
    'would: create /etc/edgewatch (mode 0750)',
    'would: write /etc/edgewatch/config.yaml from the example (mode 0640)',
    'would: create /var/lib/edgewatch (mode 0750)',
    'would: install /etc/systemd/system/edgewatch.service',
    'skip:  apt-get install gstreamer1.0-tools',
    'skip:  useradd --system edgewatch',
    'skip:  systemctl daemon-reload; systemctl enable edgewatch.service (--root)',
    'skip:  npm ci --omit=dev in /opt/edgewatch (--skip-npm)',
  ]) {
    t.match(r.stdout, line)
  }
  t.match(r.stdout, /edgewatch: \d+ actions planned \(dry run\)/)
  t.same(fs.readdirSync(root), [], 'the target tree is still empty')

  // Against the real system (no --root): the plan names the system steps, and nothing
  // under /opt, /etc or /var/lib appears.
  const watched = [
    '/opt/edgewatch',
    '/etc/edgewatch',
    '/var/lib/edgewatch',
    '/etc/systemd/system/edgewatch.service',
  ]
  const before = watched.map((p) => fs.existsSync(p))
  const sys = await install(['--dry-run', '--source', src, '--skip-npm'])
  t.equal(sys.code, 0, sys.stderr)
  t.match(sys.stdout, 'would: install /opt/edgewatch/bin/edgewatch.js')
  t.match(sys.stdout, /(would: create system user edgewatch|ok: {4}user edgewatch)/)
  t.match(sys.stdout, /(would|skip): .*systemctl|edgewatch.service enabled/)
  t.same(
    watched.map((p) => fs.existsSync(p)),
    before,
    'nothing was created on the real system',
  )
})

t.test('--root installs the expected tree; a second run is a no-op', async (t) => {
  const dir = tempDir(t)
  const src = fakeSource(dir)
  const root = path.join(dir, 'root')
  const first = await install(['--root', root, '--source', src, '--skip-npm'])
  t.equal(first.code, 0, first.stderr)
  t.match(first.stdout, /edgewatch: \d+ changes made/)

  const app = path.join(root, 'opt/edgewatch')
  for (const f of [
    'bin/edgewatch.js',
    'dist/cli/main.js',
    'package.json',
    'package-lock.json',
    'models/csp-shapes.onnx',
    'models/csp-shapes.yaml',
    'deploy/config.example.yaml',
  ]) {
    t.ok(fs.existsSync(path.join(app, f)), `app has ${f}`)
  }
  t.equal(mode(path.join(app, 'bin/edgewatch.js')), 0o755, 'launcher is executable')
  t.equal(mode(path.join(app, 'deploy/install.sh')), 0o755, 'the installer, for --uninstall later')
  t.equal(fs.readlinkSync(path.join(root, 'usr/local/bin/edgewatch')), '/opt/edgewatch/bin/edgewatch.js')
  const unit = path.join(root, 'etc/systemd/system/edgewatch.service')
  t.equal(
    fs.readFileSync(unit, 'utf8'),
    fs.readFileSync(path.join(REPO, 'deploy/edgewatch.service'), 'utf8'),
    'unit installed as shipped',
  )
  const config = path.join(root, 'etc/edgewatch/config.yaml')
  t.equal(mode(config), 0o640, 'config is 0640')
  t.equal(mode(path.join(root, 'etc/edgewatch')), 0o750)
  t.equal(
    fs.readFileSync(config, 'utf8'),
    fs.readFileSync(path.join(REPO, 'deploy/config.example.yaml'), 'utf8'),
  )
  t.equal(mode(path.join(root, 'var/lib/edgewatch')), 0o750, 'state dir')
  t.ok(fs.statSync(path.join(root, 'var/lib/edgewatch/trt')).isDirectory(), 'TensorRT cache dir')

  const before = snapshot(root)
  const second = await install(['--root', root, '--source', src, '--skip-npm'])
  t.equal(second.code, 0, second.stderr)
  t.match(second.stdout, 'edgewatch: nothing to do: everything is installed and unchanged')
  t.notMatch(second.stdout, /^do: /m, 'no action ran')
  t.same(snapshot(root), before, 'no file, mode, owner or mtime changed')
})

t.test('an upgrade replaces app files, drops stale ones and keeps the config', async (t) => {
  const dir = tempDir(t)
  const src = fakeSource(dir)
  const root = path.join(dir, 'root')
  t.equal((await install(['--root', root, '--source', src, '--skip-npm'])).code, 0)
  const config = path.join(root, 'etc/edgewatch/config.yaml')
  fs.writeFileSync(config, 'device: { id: edited-by-user }\n')
  fs.writeFileSync(path.join(src, 'dist/service/controller.js'), '// v2\n')
  fs.writeFileSync(path.join(src, 'dist/cli/main2.js'), '// new\n')
  fs.appendFileSync(path.join(src, 'deploy/config.example.yaml'), '# a new key\n')

  const r = await install(['--root', root, '--source', src, '--skip-npm'])
  t.equal(r.code, 0, r.stderr)
  const app = path.join(root, 'opt/edgewatch')
  t.equal(fs.readFileSync(path.join(app, 'dist/service/controller.js'), 'utf8'), '// v2\n')
  t.ok(fs.existsSync(path.join(app, 'dist/cli/main2.js')))
  t.match(r.stdout, 'do:    install /opt/edgewatch/dist/service/controller.js')
  t.equal(fs.readFileSync(config, 'utf8'), 'device: { id: edited-by-user }\n', 'config never overwritten')
  t.match(r.stdout, '/etc/edgewatch/config.yaml exists: kept, never overwritten')

  fs.rmSync(path.join(src, 'dist/cli/main2.js'))
  const r2 = await install(['--root', root, '--source', src, '--skip-npm'])
  t.match(r2.stdout, 'do:    remove stale /opt/edgewatch/dist/cli/main2.js')
  t.notOk(fs.existsSync(path.join(app, 'dist/cli/main2.js')))

  // onnxruntime-node's binaries for other platforms are pruned after npm ci.
  const ortBin = path.join(app, 'node_modules/onnxruntime-node/bin/napi-v6')
  for (const p of ['darwin/arm64', 'linux/arm64', 'linux/x64', 'win32/x64']) {
    fs.mkdirSync(path.join(ortBin, p), { recursive: true })
    fs.writeFileSync(path.join(ortBin, p, 'onnxruntime_binding.node'), p)
  }
  const r3 = await install(['--root', root, '--source', src, '--skip-npm'])
  t.equal(r3.code, 0, r3.stderr)
  const left = ['darwin', 'linux', 'win32'].flatMap((os) =>
    fs.readdirSync(path.join(ortBin, os)).map((arch) => `${os}/${arch}`),
  )
  t.same(left, [`linux/${process.arch}`], 'only this platform is kept')
  t.match((await install(['--root', root, '--source', src, '--skip-npm'])).stdout, 'nothing to do')
})

t.test('the Jetson overlay: any napi-v* folder, checked against the JavaScript that loads it', async (t) => {
  const dir = tempDir(t)
  const src = fakeSource(dir)
  const root = path.join(dir, 'root')
  t.equal((await install(['--root', root, '--source', src, '--skip-npm'])).code, 0)
  const ort = path.join(root, 'opt/edgewatch/node_modules/onnxruntime-node')
  const prefix = path.join(root, 'usr/local/lib/edgewatch/onnxruntime')
  const loader = (napi: string) =>
    `module.exports = require(\`../bin/${napi}/\${process.platform}/\${process.arch}/onnxruntime_binding.node\`)\n`
  const put = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, text)
  }
  const here = `linux/${process.arch}`
  // The npm package (1.30.0 layout): napi-v6, every platform.
  put(path.join(ort, 'dist/binding.js'), loader('napi-v6'))
  for (const p of ['darwin/arm64', here, 'win32/x64'])
    put(path.join(ort, 'bin/napi-v6', p, 'onnxruntime_binding.node'), `npm ${p}`)

  // A build of an older tag (v1.17.3) carries its own JavaScript, loading napi-v3.
  put(path.join(prefix, 'dist/binding.js'), loader('napi-v3'))
  put(path.join(prefix, 'package.json'), '{"name":"onnxruntime-node","version":"1.17.3"}\n')
  put(path.join(prefix, 'bin/napi-v3', here, 'onnxruntime_binding.node'), 'jetson v1.17.3')
  const r = await install(['--root', root, '--source', src, '--skip-npm'])
  t.equal(r.code, 0, r.stderr)
  t.equal(
    fs.readFileSync(path.join(ort, 'dist/binding.js'), 'utf8'),
    loader('napi-v3'),
    'its JavaScript is laid over',
  )
  t.equal(
    fs.readFileSync(path.join(ort, 'bin/napi-v3', here, 'onnxruntime_binding.node'), 'utf8'),
    'jetson v1.17.3',
  )
  t.notOk(fs.existsSync(path.join(ort, 'bin/napi-v6/darwin/arm64')), 'napi-v6 pruned to this platform')

  // A napi-v3 prune: other platforms go, whatever the napi version.
  put(path.join(ort, 'bin/napi-v3/win32/x64/onnxruntime_binding.node'), 'win')
  const pruned = await install(['--root', root, '--source', src, '--skip-npm'])
  t.equal(pruned.code, 0, pruned.stderr)
  t.match(pruned.stdout, 'do:    remove onnxruntime binaries for napi-v3/win32/x64')
  t.notOk(fs.existsSync(path.join(ort, 'bin/napi-v3/win32/x64')))

  // A binding-only build whose folder is not the one the installed JavaScript loads would
  // break onnxruntime-node altogether: refused, with the reason.
  fs.rmSync(prefix, { recursive: true })
  put(path.join(ort, 'dist/binding.js'), loader('napi-v6'))
  put(path.join(prefix, 'bin/napi-v3', here, 'onnxruntime_binding.node'), 'jetson, wrong folder')
  const bad = await install(['--root', root, '--source', src, '--skip-npm'])
  t.equal(bad.code, 1)
  t.match(
    bad.stderr,
    `has its binding in bin/napi-v3/${here}, but /opt/edgewatch/node_modules/onnxruntime-node/dist/binding.js loads bin/napi-v6`,
  )
  t.match(bad.stderr, 'Rebuild with deploy/jetson/build-onnxruntime.sh')
})

t.test('--uninstall keeps config and data; --purge removes them', async (t) => {
  const dir = tempDir(t)
  const src = fakeSource(dir)
  const root = path.join(dir, 'root')
  t.equal((await install(['--root', root, '--source', src, '--skip-npm'])).code, 0)
  fs.writeFileSync(path.join(root, 'var/lib/edgewatch/edgewatch.db'), 'detections')

  const dry = await install(['--uninstall', '--dry-run', '--root', root])
  t.equal(dry.code, 0, dry.stderr)
  t.match(dry.stdout, 'would: remove /opt/edgewatch')
  t.ok(fs.existsSync(path.join(root, 'opt/edgewatch')), 'dry run removed nothing')

  // From the installed copy of the script, which removes itself on the way.
  const r = await new Promise<Run>((resolve) => {
    const installed = path.join(root, 'opt/edgewatch/deploy/install.sh')
    execFile('bash', [installed, '--uninstall', '--root', root], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? 1 : 0, stdout, stderr }),
    )
  })
  t.equal(r.code, 0, r.stderr)
  t.notOk(fs.existsSync(path.join(root, 'opt/edgewatch')), 'app removed')
  t.notOk(fs.existsSync(path.join(root, 'etc/systemd/system/edgewatch.service')), 'unit removed')
  t.notOk(fs.existsSync(path.join(root, 'usr/local/bin/edgewatch')), 'CLI link removed')
  t.ok(fs.existsSync(path.join(root, 'etc/edgewatch/config.yaml')), 'config kept')
  t.equal(
    fs.readFileSync(path.join(root, 'var/lib/edgewatch/edgewatch.db'), 'utf8'),
    'detections',
    'data kept',
  )
  t.match(r.stdout, 'skip:  systemctl disable --now edgewatch.service')

  const again = await install(['--uninstall', '--root', root])
  t.match(again.stdout, 'edgewatch: nothing to do', 'second uninstall is a no-op')

  const purge = await install(['--uninstall', '--purge', '--root', root])
  t.equal(purge.code, 0, purge.stderr)
  t.notOk(fs.existsSync(path.join(root, 'etc/edgewatch')), 'config purged')
  t.notOk(fs.existsSync(path.join(root, 'var/lib/edgewatch')), 'data purged')
  t.match(purge.stdout, 'skip:  userdel edgewatch (--root)')
})

t.test('usage errors and an unbuilt source', async (t) => {
  const dir = tempDir(t)
  t.equal((await install(['--bogus'])).code, 64)
  const purge = await install(['--purge', '--root', dir])
  t.equal(purge.code, 64)
  t.match(purge.stderr, '--purge only goes with --uninstall')
  const empty = path.join(dir, 'empty')
  fs.mkdirSync(empty)
  const r = await install(['--root', path.join(dir, 'root'), '--source', empty, '--skip-npm'])
  t.equal(r.code, 1)
  t.match(r.stderr, /dist is missing or not built; run 'npm run build'/)
})
