// The Jetson path, as far as it runs on any machine: JetPack detection from a fake
// /etc/nv_tegra_release, the support matrix, the build script's plan (--print-plan, and a
// --dry-run per matrix row), the binding patch of each tag against its own preimage, the
// binding-folder logic, and shellcheck over deploy/.
import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { REPO } from '../harness/cli.js'
import { tempDir } from '../harness/tmp.js'

const JETSON = path.join(REPO, 'deploy', 'jetson')
const LIB = path.join(JETSON, 'lib', 'jetpack.sh')
const BUILD = path.join(JETSON, 'build-onnxruntime.sh')
const PATCH_NAME = '0001-node-binding-tensorrt-provider-options.patch'
const patchOf = (tag: string) => path.join(JETSON, 'patches', tag, PATCH_NAME)
/** Every onnxruntime tag a matrix row, or the fallback flag, builds. */
const TAGS = ['v1.17.3', 'v1.23.2', 'v1.30.0']

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

/** Calls a function of lib/binding.sh in a fresh bash. */
function bindingLib(fn: string, args: string[]): Promise<Run> {
  return run('bash', ['-c', `. "$0"; ${fn} "$@"`, path.join(JETSON, 'lib', 'binding.sh'), ...args])
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
    ['38.2.0', '7'],
    ['39.2.0', '7.2'],
  ]) {
    const r = await lib('jetpack_for_l4t', [l4t!])
    t.equal(r.stdout.trim(), jp, `L4T ${l4t}`)
  }
  for (const [l4t, why] of [
    ['32.7.4', /glibc is too old for Node.js 20/],
    ['35.1.0', /JetPack 5\.0/],
    ['36.2.0', /developer preview/],
    ['37.0.0', /not in edgewatch's support matrix/],
    ['40.0.0', /not in edgewatch's support matrix/],
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
  t.same(jp6, ['6.1+', '12.6', '9.3', '10.3', `v${npmOrt}`, '87', 'binding', 'cuda+tensorrt', 'v1.23.2'])
  t.equal(jp6[4], `v${npmOrt}`, 'JetPack 6.1+ builds the same onnxruntime as the npm package')
  t.same(await row('6.1'), jp6)
  t.same(await row('6.0'), ['6.0', '12.2', '8.9', '8.6.2', 'v1.17.3', '87', 'package', 'cuda+tensorrt', '-'])
  // v1.16.3's binding has no TensorRT branch at all, so JetPack 5.1 builds v1.17.3 too.
  t.same(await row('5.1.2'), [
    '5.1',
    '11.4',
    '8.6',
    '8.5.2',
    'v1.17.3',
    '72;87',
    'package',
    'cuda+tensorrt',
    '-',
  ])
  // JetPack 7: CUDA only while libnvdla_compiler.so is missing (TensorRT cannot load).
  t.same(await row('7.2'), ['7', '13.x', '9.x', '10.x', `v${npmOrt}`, '87;110', 'binding', 'cuda', '-'])
  t.same(await row('7'), await row('7.2'))
  for (const jp of ['5.1', '6.0', '6.2', '7.2']) {
    const tag = (await row(jp))[4]!
    t.ok(fs.existsSync(patchOf(tag)), `JetPack ${jp}: ${tag} has its patch`)
  }
  t.ok(fs.existsSync(patchOf(jp6[8]!)), 'the fallback tag has its patch')
  const bad = await lib('ort_build_for_jetpack', ['4.6'])
  t.equal(bad.code, 1)
  t.match(bad.stderr, 'not in edgewatch')
})

/** The build script's dry run against a fake release file (none: null), in a fresh directory. */
async function dryRun(
  t: Test,
  releaseText: string | null,
  args: string[] = [],
  script = BUILD,
  env: NodeJS.ProcessEnv = {},
) {
  const dir = tempDir(t)
  const file = path.join(dir, 'nv_tegra_release')
  if (releaseText) fs.writeFileSync(file, releaseText)
  const [src, prefix, app] = ['ort-src', 'prefix', 'app'].map((d) => path.join(dir, d)) as [
    string,
    string,
    string,
  ]
  const r = await run(
    'bash',
    [script, '--dry-run', '--src', src, '--prefix', prefix, '--app', app, ...args],
    {
      EDGEWATCH_NV_TEGRA_RELEASE: file,
      // no Jetson libraries here; a test that wants libnvdla_compiler.so passes its own
      EDGEWATCH_TEGRA_LIB_DIRS: path.join(dir, 'no-tegra-libs'),
      ...env,
    },
  )
  t.same(fs.readdirSync(dir).sort(), releaseText ? ['nv_tegra_release'] : [], 'dry run created nothing')
  return { ...r, src, prefix, app }
}

t.test('build script: --print-plan on a fake board', async (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'nv_tegra_release')
  fs.writeFileSync(file, release(36, '4.3'))
  const env = { EDGEWATCH_NV_TEGRA_RELEASE: file }
  const plan = await run('bash', [BUILD, '--print-plan'], env)
  t.equal(plan.code, 0, plan.stderr)
  t.match(plan.stdout, 'JetPack 6.2 -> CUDA 12.6, cuDNN 9.3, TensorRT 10.3 -> onnxruntime v1.30.0')
  t.match(plan.stdout, /^ORT_TAG=v1\.30\.0$/m)
  t.match(plan.stdout, /^CUDA_ARCHS=87$/m)
  t.match(plan.stdout, /^PROVIDERS=cuda\+tensorrt$/m)
  t.match(plan.stdout, /^FALLBACK_TAG=v1\.23\.2$/m)
  t.match(plan.stdout, `PATCHES=deploy/jetson/patches/v1.30.0/${PATCH_NAME}\n`)
  const fallback = await run('bash', [BUILD, '--print-plan', '--ort-tag', 'v1.23.2'], env)
  t.equal(fallback.code, 0, fallback.stderr)
  t.match(fallback.stdout, /^ORT_TAG=v1\.23\.2$/m)
  t.match(fallback.stdout, /^MODE=package$/m, 'another tag than the npm version replaces the whole package')
  t.match(fallback.stdout, `PATCHES=deploy/jetson/patches/v1.23.2/${PATCH_NAME}\n`)
})

// One dry run per row of the matrix (and the fallback tag): the tag, the patch chosen by
// it, the binding-folder logic and the build flags.
const ROWS = [
  {
    name: 'JetPack 5.1 (L4T R35.4.1)',
    release: release(35, '4.1'),
    args: [],
    tag: 'v1.17.3',
    archs: '72;87',
    mode: 'package',
    trt: true,
  },
  {
    name: 'JetPack 6.0 (L4T R36.3.0)',
    release: release(36, '3.0'),
    args: [],
    tag: 'v1.17.3',
    archs: '87',
    mode: 'package',
    trt: true,
  },
  {
    name: 'JetPack 6.2 (L4T R36.4.3)',
    release: release(36, '4.3'),
    args: [],
    tag: 'v1.30.0',
    archs: '87',
    mode: 'binding',
    trt: true,
  },
  {
    name: 'JetPack 6.2 with the fallback tag',
    release: release(36, '4.3'),
    args: ['--ort-tag', 'v1.23.2'],
    tag: 'v1.23.2',
    archs: '87',
    mode: 'package',
    trt: true,
  },
  {
    name: 'JetPack 7.2 (L4T R39.2.0)',
    release: release(39, '2.0'),
    args: [],
    tag: 'v1.30.0',
    archs: '87;110',
    mode: 'binding',
    trt: false,
  },
]
for (const row of ROWS) {
  t.test(`build script --dry-run: ${row.name}`, async (t) => {
    const r = await dryRun(t, row.release, row.args)
    t.equal(r.code, 0, r.stderr)
    const out = r.stdout
    t.match(out, `-> onnxruntime ${row.tag} (CUDA archs ${row.archs}, ${row.mode} mode)`)
    t.match(out, `would: clone onnxruntime ${row.tag} into ${r.src}`)
    t.match(
      out,
      `binding patch for ${row.tag} (chosen by the tag): deploy/jetson/patches/${row.tag}/${PATCH_NAME}`,
    )
    t.match(out, `would: check and apply deploy/jetson/patches/${row.tag}/${PATCH_NAME}`)
    // The binding folder: found after the build, checked against the JavaScript loading it.
    t.match(
      out,
      `binding folder: found after the build as ${r.src}/js/node/bin/napi-v*/linux/arm64/onnxruntime_binding.node`,
    )
    t.match(
      out,
      row.mode === 'binding'
        ? `${r.app}/node_modules/onnxruntime-node/dist/binding.js loads`
        : `${r.src}/js/node/dist/binding.js (${row.tag}) loads`,
    )
    t.match(
      out,
      `would: copy the binding, libonnxruntime and the provider libraries into ${r.prefix}/bin/napi-v<N>/linux/arm64`,
    )
    t.notMatch(out, /napi-v\d\/linux/, 'no folder is assumed')
    // The build flags.
    for (const flag of [
      '--use_cuda --cuda_home /usr/local/cuda --cudnn_home /usr/lib/aarch64-linux-gnu',
      '--build_nodejs',
      '--build_shared_lib',
      '--nvcc_threads 1',
      `CMAKE_CUDA_ARCHITECTURES=${row.archs} onnxruntime_BUILD_UNIT_TESTS=OFF`,
      'onnxruntime_USE_FLASH_ATTENTION=OFF onnxruntime_USE_MEMORY_EFFICIENT_ATTENTION=OFF',
    ])
      t.match(out, flag)
    if (row.trt) {
      t.match(out, '--use_tensorrt --tensorrt_home /usr/lib/aarch64-linux-gnu')
      t.match(out, 'with CUDA + TensorRT + Node.js binding')
    } else {
      t.notMatch(out, '--use_tensorrt')
      t.match(out, 'with CUDA (no TensorRT) + Node.js binding')
      t.match(out, 'building the CUDA provider only, no TensorRT: libnvdla_compiler.so is missing')
    }
    if (row.mode === 'package') t.match(out, `would: copy onnxruntime-node and onnxruntime-common ${row.tag}`)
    else t.notMatch(out, 'would: copy onnxruntime-node and onnxruntime-common')
    t.match(out, `would: lay ${r.prefix} over ${r.app}/node_modules/onnxruntime-node`)
  })
}

t.test(
  'build script --dry-run: a tag without its patch is refused, naming the tags that have one',
  async (t) => {
    // A copy of deploy/jetson without the v1.17.3 patch, as in a checkout that lost it.
    const dir = tempDir(t)
    const copy = path.join(dir, 'jetson')
    fs.cpSync(JETSON, copy, { recursive: true })
    fs.rmSync(path.join(copy, 'patches', 'v1.17.3'), { recursive: true })
    for (const jp of ['6.0', '5.1']) {
      const r = await dryRun(t, null, ['--jetpack', jp], path.join(copy, 'build-onnxruntime.sh'))
      t.equal(r.code, 1, `JetPack ${jp}`)
      t.match(r.stderr, 'no binding patch for onnxruntime v1.17.3')
      t.match(r.stderr, 'tags with a patch: v1.23.2 v1.30.0')
      t.notMatch(r.stdout, 'would:', 'nothing is planned')
    }
    const unknown = await dryRun(t, null, ['--jetpack', '6.2', '--ort-tag', 'v1.99.0'])
    t.equal(unknown.code, 1)
    t.match(unknown.stderr, 'no binding patch for onnxruntime v1.99.0')
  },
)

t.test('build script --dry-run: JetPack 7 with libnvdla_compiler.so, and --tensorrt', async (t) => {
  const dir = tempDir(t)
  const libs = path.join(dir, 'nvidia')
  fs.mkdirSync(libs)
  fs.writeFileSync(path.join(libs, 'libnvdla_compiler.so'), '')
  const found = await dryRun(t, release(39, '2.0'), [], BUILD, { EDGEWATCH_TEGRA_LIB_DIRS: libs })
  t.equal(found.code, 0, found.stderr)
  t.match(found.stdout, `${libs}/libnvdla_compiler.so is present, so TensorRT may load on this release`)
  t.notMatch(found.stdout, '--use_tensorrt', 'still CUDA only unless asked')
  const forced = await dryRun(t, release(39, '2.0'), ['--tensorrt'])
  t.equal(forced.code, 0, forced.stderr)
  t.match(forced.stdout, '--use_tensorrt --tensorrt_home')
  t.match(forced.stdout, 'warn:  libnvdla_compiler.so not found', 'the missing library is named')
})

t.test('build script: not a Jetson', async (t) => {
  const r = await dryRun(t, null)
  t.equal(r.code, 1)
  t.match(r.stderr, 'not a Jetson')
})

t.test('the binding folder is found after the build and must be the one the JavaScript loads', async (t) => {
  const dir = tempDir(t)
  const src = path.join(dir, 'src')
  const app = path.join(dir, 'app')
  const loader = (napi: string) =>
    `require(\`../bin/${napi}/\${process.platform}/\${process.arch}/onnxruntime_binding.node\`)\n`
  const put = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, text)
  }
  const none = await bindingLib('binding_folder', ['package', src, app])
  t.equal(none.code, 1)
  t.match(none.stderr, 'no built binding')
  // v1.17.3 builds napi-v3 and its own JavaScript loads napi-v3: package mode is consistent.
  put(path.join(src, 'js/node/bin/napi-v3/linux/arm64/onnxruntime_binding.node'), '')
  put(path.join(src, 'js/node/dist/binding.js'), loader('napi-v3'))
  const v3 = await bindingLib('binding_folder', ['package', src, app])
  t.equal(v3.code, 0, v3.stderr)
  t.equal(v3.stdout.trim(), 'napi-v3')
  // The same build under the app's npm 1.30.0 JavaScript (napi-v6) would never load.
  put(path.join(app, 'node_modules/onnxruntime-node/dist/binding.js'), loader('napi-v6'))
  const mismatch = await bindingLib('binding_folder', ['binding', src, app])
  t.equal(mismatch.code, 1)
  t.match(mismatch.stderr, 'the build wrote the binding to bin/napi-v3')
  t.match(mismatch.stderr, 'loads bin/napi-v6')
  // Two builds in one tree: ambiguous, refused.
  put(path.join(src, 'js/node/bin/napi-v6/linux/arm64/onnxruntime_binding.node'), '')
  const two = await bindingLib('binding_folder', ['binding', src, app])
  t.equal(two.code, 1)
  t.match(two.stderr, 'several built bindings')
  fs.rmSync(path.join(src, 'js/node/bin/napi-v3'), { recursive: true })
  const v6 = await bindingLib('binding_folder', ['binding', src, app])
  t.equal(v6.stdout.trim(), 'napi-v6', v6.stderr)
  // The installed onnxruntime-node (the npm package) names its folder the same way.
  const npmLoader = path.join(REPO, 'node_modules/onnxruntime-node/dist/binding.js')
  if (fs.existsSync(npmLoader))
    t.match((await bindingLib('napi_folder_of', [npmLoader])).stdout, /^napi-v\d+\n$/)
})

for (const tag of TAGS) {
  t.test(`the ${tag} binding patch is well-formed and applies to its preimage, once`, async (t) => {
    const dir = tempDir(t)
    const patch = patchOf(tag)
    t.same(fs.readdirSync(path.dirname(patch)), [PATCH_NAME], 'one patch for the tag')
    const numstat = await run('git', ['apply', '--numstat', patch])
    t.equal(numstat.code, 0, numstat.stderr)
    t.match(numstat.stdout.trim(), /^\d+\t\d+\tjs\/node\/src\/session_options_helper\.cc$/)

    // The preimage is the patch's own context and removed lines, placed at an offset as in
    // a real file; git apply must find it, and then refuse to apply twice.
    const lines = fs.readFileSync(patch, 'utf8').split('\n')
    const hunk = lines.slice(lines.findIndex((l) => l.startsWith('@@')) + 1)
    t.notOk(
      hunk.some((l) => l.startsWith('@@')),
      'one hunk',
    )
    const pre = hunk.filter((l) => l.startsWith(' ') || l.startsWith('-')).map((l) => l.slice(1))
    const post = hunk.filter((l) => l.startsWith(' ') || l.startsWith('+')).map((l) => l.slice(1))
    const target = path.join(dir, 'js/node/src/session_options_helper.cc')
    fs.mkdirSync(path.dirname(target), { recursive: true })
    const filler = Array.from({ length: 40 }, (_, i) => `// line ${i}`)
    fs.writeFileSync(target, [...filler, ...pre, '// end', ''].join('\n'))
    t.equal((await run('git', ['init', '-q', '.'], {}, dir)).code, 0)
    const check = await run('git', ['apply', '--check', patch], {}, dir)
    t.equal(check.code, 0, check.stderr)
    t.equal((await run('git', ['apply', patch], {}, dir)).code, 0)
    t.equal(fs.readFileSync(target, 'utf8'), [...filler, ...post, '// end', ''].join('\n'))
    t.equal((await run('git', ['apply', '--reverse', '--check', patch], {}, dir)).code, 0, 'seen as applied')
    t.not((await run('git', ['apply', '--check', patch], {}, dir)).code, 0, 'not applied twice')

    const added = post.join('\n')
    t.match(added, 'UpdateTensorRTProviderOptions', 'options go through the C API')
    t.match(added, 'trtKeys{"device_id"}', 'device_id is kept (Update resets what it is not given)')
    t.match(
      added,
      'Ort::ThrowOnError(Ort::GetApi().CreateTensorRTProviderOptions(&options));',
      'Create is checked before the options are updated',
    )
    t.notMatch(added, 'options->device_id = deviceId;', 'device_id goes through Update')
  })
}

t.test('each patch carries the context of its own tag (as read from the released binaries)', async (t) => {
  const context = (tag: string) => {
    const lines = fs.readFileSync(patchOf(tag), 'utf8').split('\n')
    const hunk = lines.slice(lines.findIndex((l) => l.startsWith('@@')) + 1)
    return hunk.filter((l) => l.startsWith(' ') || l.startsWith('-')).map((l) => l.slice(1))
  }
  // v1.17.3: the pointer on the name, the result of Create ignored.
  t.ok(context('v1.17.3').includes('      OrtTensorRTProviderOptionsV2 *options;'))
  t.ok(context('v1.17.3').includes('      Ort::GetApi().CreateTensorRTProviderOptions(&options);'))
  // v1.23.2: the pointer on the type, the result of Create ignored.
  t.ok(context('v1.23.2').includes('      OrtTensorRTProviderOptionsV2* options;'))
  t.ok(context('v1.23.2').includes('      Ort::GetApi().CreateTensorRTProviderOptions(&options);'))
  // v1.30.0: the pointer on the type, Create checked.
  t.ok(context('v1.30.0').includes('      OrtTensorRTProviderOptionsV2* options;'))
  t.ok(
    context('v1.30.0').includes(
      '      Ort::ThrowOnError(Ort::GetApi().CreateTensorRTProviderOptions(&options));',
    ),
  )
  // Hence no tag's patch applies to another tag's file.
  for (const a of TAGS)
    for (const b of TAGS)
      if (a < b) t.not(context(a).join('\n'), context(b).join('\n'), `${a} and ${b} differ`)
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
