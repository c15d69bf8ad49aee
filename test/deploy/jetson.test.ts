// The Jetson path, as far as it runs on any machine: JetPack detection from a fake
// /etc/nv_tegra_release, the support matrix, the build script's plan (--print-plan,
// --dry-run), the binding patch against its own preimage, and shellcheck over deploy/.
import t from 'tap'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { REPO } from '../harness/cli.js'
import { tempDir } from '../harness/tmp.js'

const JETSON = path.join(REPO, 'deploy', 'jetson')
const LIB = path.join(JETSON, 'lib', 'jetpack.sh')
const BUILD = path.join(JETSON, 'build-onnxruntime.sh')
const PATCH = path.join(JETSON, 'patches', '0001-node-binding-tensorrt-provider-options.patch')

interface Run {
  code: number
  stdout: string
  stderr: string
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = REPO): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

/** Calls a function of lib/jetpack.sh in a fresh bash. */
function lib(fn: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return run('bash', ['-c', `. "$0"; ${fn} "$@"`, LIB, ...args], env)
}

const release = (major: number, revision: string) =>
  `# R${major} (release), REVISION: ${revision}, GCID: 38968081, BOARD: generic, EABI: aarch64, DATE: Wed Jan  8 01:49:37 UTC 2025\n`

t.test('L4T version from /etc/nv_tegra_release', async (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'nv_tegra_release')
  for (const [major, rev, want] of [
    [36, '4.3', '36.4.3'],
    [36, '3.0', '36.3.0'],
    [35, '4.1', '35.4.1'],
    [35, '6.0', '35.6.0'],
  ] as const) {
    fs.writeFileSync(file, release(major, rev))
    const r = await lib('l4t_version', [], { EDGEWATCH_NV_TEGRA_RELEASE: file })
    t.equal(r.stdout.trim(), want, `R${major} REVISION ${rev}`)
  }
  fs.writeFileSync(file, 'garbage\n')
  t.equal((await lib('l4t_version', [], { EDGEWATCH_NV_TEGRA_RELEASE: file })).code, 1, 'unparsable file')
  t.equal(
    (await lib('l4t_version', [], { EDGEWATCH_NV_TEGRA_RELEASE: path.join(dir, 'absent') })).code,
    1,
    'no file (and the package fallback is off when the file is overridden)',
  )
  const forced = await lib('l4t_version', [], { EDGEWATCH_L4T_VERSION: '36.4.4' })
  t.equal(forced.stdout.trim(), '36.4.4')
})

t.test('L4T -> JetPack', async (t) => {
  for (const [l4t, jp] of [
    ['35.2.1', '5.1'],
    ['35.3.1', '5.1.1'],
    ['35.4.1', '5.1.2'],
    ['35.5.0', '5.1.3'],
    ['35.6.0', '5.1.4'],
    ['36.3.0', '6.0'],
    ['36.4.0', '6.1'],
    ['36.4.3', '6.2'],
    ['36.4.4', '6.2.1'],
  ]) {
    const r = await lib('jetpack_for_l4t', [l4t!])
    t.equal(r.stdout.trim(), jp, `L4T ${l4t}`)
  }
  for (const [l4t, why] of [
    ['32.7.4', /glibc is too old for Node.js 20/],
    ['35.1.0', /JetPack 5\.0/],
    ['36.2.0', /developer preview/],
    ['37.0.0', /not in edgewatch's support matrix/],
  ] as const) {
    const r = await lib('jetpack_for_l4t', [l4t])
    t.equal(r.code, 1, `L4T ${l4t} unsupported`)
    t.match(r.stderr, why)
  }
})

t.test('JetPack -> onnxruntime build (support matrix)', async (t) => {
  const row = async (jp: string) => (await lib('ort_build_for_jetpack', [jp])).stdout.trim().split(' ')
  const npmOrt = (
    JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>
    }
  ).dependencies['onnxruntime-node']
  const jp6 = await row('6.2')
  t.same(jp6, ['6.1+', '12.6', '9.3', '10.3', `v${npmOrt}`, '87', 'binding'])
  t.equal(jp6[4], `v${npmOrt}`, 'JetPack 6.1+ builds the same onnxruntime as the npm package')
  t.same(await row('6.1'), jp6)
  t.same(await row('6.0'), ['6.0', '12.2', '8.9', '8.6.2', 'v1.17.3', '87', 'package'])
  t.same(await row('5.1.2'), ['5.1', '11.4', '8.6', '8.5.2', 'v1.16.3', '72;87', 'package'])
  const bad = await lib('ort_build_for_jetpack', ['4.6'])
  t.equal(bad.code, 1)
  t.match(bad.stderr, 'not in edgewatch')
})

t.test('build script: --print-plan and --dry-run on a fake board', async (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'nv_tegra_release')
  fs.writeFileSync(file, release(36, '4.3'))
  const env = { EDGEWATCH_NV_TEGRA_RELEASE: file }
  const plan = await run('bash', [BUILD, '--print-plan'], env)
  t.equal(plan.code, 0, plan.stderr)
  t.match(plan.stdout, 'JetPack 6.2 -> CUDA 12.6, cuDNN 9.3, TensorRT 10.3 -> onnxruntime v1.30.0')
  t.match(plan.stdout, /^ORT_TAG=v1\.30\.0$/m)
  t.match(plan.stdout, /^CUDA_ARCHS=87$/m)

  const src = path.join(dir, 'ort-src')
  const prefix = path.join(dir, 'prefix')
  const app = path.join(dir, 'app')
  const dry = await run('bash', [BUILD, '--dry-run', '--src', src, '--prefix', prefix, '--app', app], env)
  t.equal(dry.code, 0, dry.stderr)
  for (const step of [
    'would: clone onnxruntime v1.30.0 into',
    'would: check and apply 0001-node-binding-tensorrt-provider-options.patch',
    '--use_cuda --cuda_home /usr/local/cuda --cudnn_home /usr/lib/aarch64-linux-gnu',
    '--use_tensorrt --tensorrt_home /usr/lib/aarch64-linux-gnu',
    '--build_nodejs',
    '--nvcc_threads 1',
    'CMAKE_CUDA_ARCHITECTURES=87 onnxruntime_BUILD_UNIT_TESTS=OFF',
    'would: copy the CUDA and TensorRT provider libraries',
    `would: lay ${prefix} over ${app}/node_modules/onnxruntime-node`,
  ]) {
    t.match(dry.stdout, step)
  }
  t.same(fs.readdirSync(dir).sort(), ['nv_tegra_release'], 'dry run created nothing')

  const jp5 = await run('bash', [BUILD, '--dry-run', '--jetpack', '5.1', '--src', src], {})
  t.equal(jp5.code, 0, jp5.stderr)
  t.match(jp5.stdout, 'CMAKE_CUDA_ARCHITECTURES=72;87')
  t.match(jp5.stdout, 'would: copy onnxruntime-node v1.16.3')

  const notJetson = await run('bash', [BUILD, '--dry-run'], {
    EDGEWATCH_NV_TEGRA_RELEASE: path.join(dir, 'absent'),
  })
  t.equal(notJetson.code, 1)
  t.match(notJetson.stderr, 'not a Jetson')
})

t.test('the binding patch applies to its preimage, once', async (t) => {
  const dir = tempDir(t)
  const numstat = await run('git', ['apply', '--numstat', PATCH])
  t.equal(numstat.code, 0, numstat.stderr)
  t.match(numstat.stdout.trim(), /^\d+\t\d+\tjs\/node\/src\/session_options_helper\.cc$/)

  // The preimage is the patch's own context and removed lines, placed at an offset as in
  // a real file; git apply must find it, and then refuse to apply twice.
  const lines = fs.readFileSync(PATCH, 'utf8').split('\n')
  const hunk = lines.slice(lines.findIndex((l) => l.startsWith('@@')) + 1)
  const pre = hunk.filter((l) => l.startsWith(' ') || l.startsWith('-')).map((l) => l.slice(1))
  const post = hunk.filter((l) => l.startsWith(' ') || l.startsWith('+')).map((l) => l.slice(1))
  const target = path.join(dir, 'js/node/src/session_options_helper.cc')
  fs.mkdirSync(path.dirname(target), { recursive: true })
  const filler = Array.from({ length: 40 }, (_, i) => `// line ${i}`)
  fs.writeFileSync(target, [...filler, ...pre, '// end', ''].join('\n'))
  t.equal((await run('git', ['init', '-q', '.'], {}, dir)).code, 0)
  const check = await run('git', ['apply', '--check', PATCH], {}, dir)
  t.equal(check.code, 0, check.stderr)
  t.equal((await run('git', ['apply', PATCH], {}, dir)).code, 0)
  t.equal(fs.readFileSync(target, 'utf8'), [...filler, ...post, '// end', ''].join('\n'))
  t.equal((await run('git', ['apply', '--reverse', '--check', PATCH], {}, dir)).code, 0, 'seen as applied')
  t.not((await run('git', ['apply', '--check', PATCH], {}, dir)).code, 0, 'not applied twice')

  const added = post.join('\n')
  t.match(added, 'UpdateTensorRTProviderOptions', 'options go through the C API')
  t.match(added, 'trtKeys{"device_id"}', 'device_id is kept (Update resets what it is not given)')
})

t.test('every deploy script ends in .sh, passes shellcheck and has --dry-run', async (t) => {
  const scripts: string[] = []
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (/^#!.*\b(ba)?sh\b|^# shellcheck shell=/.test(fs.readFileSync(p, 'utf8').split('\n')[0]!)) {
        scripts.push(p)
      }
    }
  }
  walk(path.join(REPO, 'deploy'))
  t.ok(scripts.length >= 3)
  for (const s of scripts)
    t.match(path.basename(s), /\.sh$/, `${path.relative(REPO, s)} is covered by npm run shellcheck`)
  const sc = await run('shellcheck', scripts)
  t.equal(sc.code, 0, sc.stdout + sc.stderr)
  for (const s of scripts.filter((p) => fs.statSync(p).mode & 0o111)) {
    const help = await run('bash', [s, '--help'])
    t.equal(help.code, 0, `${path.basename(s)} --help`)
    t.match(help.stdout, '--dry-run', `${path.basename(s)} has --dry-run`)
  }
})
