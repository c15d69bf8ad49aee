// Fuzzing the config loader, the first thing every user's hand-edited file meets: seeded
// mutations of valid configs (structural: keys removed, renamed, retyped, added, nested;
// textual: characters flipped, lines duplicated or cut, YAML anchors, tags and ${VAR}
// references thrown in). Each must load or fail with a ConfigError whose every problem
// says where (a key path, or a line for YAML syntax) and what; nothing else may escape.
// In-process through parseConfig; a sample through `edgewatch check` as a real process:
// exit 0 or 78, no stack trace. Found crashes become files in test/fixtures/configs/fuzz/
// (replayed below).
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { parseDocument, stringify } from 'yaml'
import { parseConfig } from '../../src/config/load.js'
import { ConfigError } from '../../src/config/errors.js'
import { BIN, REPO } from '../harness/cli.js'
import { tempDir } from '../harness/tmp.js'
import { count, ODD, Random, seeds } from './random.js'

const BASES = [
  fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'configs', 'good', 'minimal.yaml'), 'utf8'),
  fs.readFileSync(path.join(REPO, 'deploy', 'config.example.yaml'), 'utf8'),
  `device: { id: gate-01 }
model: { providers: [cpu], threads: 2, format: yolov5, input: { width: 416, height: 416, color: bgr }, labels: [person, car] }
detect: { score: 0.4, iou: 0.5, max_fps: 8, labels: [person], class_scores: { car: 0.6 } }
cameras:
  gate: { url: "rtsp://user:\${CAM_PW}@192.0.2.10/stream1", transport: udp, max_fps: 5, stall_timeout: 20 }
  lobby: { url: "v4l2:///dev/video0", decoder: cpu }
  replay: { url: "file:///srv/clips/a.mp4", loop: true, realtime: false }
  yard: { pipeline: "videotestsrc pattern=ball ! video/x-raw,width=64,height=48", enabled: false }
storage: { path: /tmp/e.db, retention: { days: 3, max_mb: 64 }, outbox_max_rows: 1000, synchronous: full }
mqtt: { url: "mqtts://broker.example:8883", username: cam, password: "\${MQTT_PW}", qos: 2, keepalive: 10 }
http: { listen: "0.0.0.0:9310", allow_remote: true, token: "0123456789abcdef0123", hosts: [gate-01.lan] }
log: { level: debug, format: pretty }
service: { stop_timeout: 3 }
`,
]
const ENV = { CAM_PW: 's3cret', MQTT_PW: 'mqtt-secret' }
const OPTS = { env: ENV, checkFiles: false }
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'configs', 'fuzz')

/** What a failed load must look like; null when it does, else what is wrong. */
function judge(text: string): string | null {
  try {
    parseConfig(text, '/etc/edgewatch/config.yaml', OPTS)
    return null
  } catch (err) {
    if (!(err instanceof ConfigError))
      return `not a ConfigError: ${err instanceof Error ? err.stack : JSON.stringify(err)}`
    if (err.problems.length === 0) return 'a ConfigError without problems'
    for (const p of err.problems) {
      if (typeof p.message !== 'string' || p.message.trim() === '')
        return `a problem without a message at "${p.path}"`
      if (/\n\s+at /.test(p.message)) return `a stack trace in a message: ${p.message}`
      // A problem of the file as a whole names its line (YAML syntax) or says what the file lacks.
      if (p.path === '' && !/line \d+|empty|mapping|not found|camera/.test(p.message))
        return `a problem with neither a key path nor a line: ${p.message}`
    }
    err.lines()
    return null
  }
}

const VALUES = (r: Random): unknown[] => [
  null,
  true,
  0,
  -1,
  1e308,
  r.int(-1e6, 1e6),
  0.5,
  '',
  r.string(r.int(1, 12), ODD),
  [],
  {},
  [r.string(3)],
  { [r.string(4)]: r.int(0, 9) },
  '${UNSET_VARIABLE}',
  '${CAM_PW}',
  'rtsp://[::1',
  '../../../etc/passwd',
  '127.0.0.1:99999',
]

function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== 'object') return [at]
  const out: (string | number)[][] = [at]
  for (const [k, c] of Object.entries(v)) out.push(...paths(c, [...at, Array.isArray(v) ? Number(k) : k]))
  return out
}

/** A structural mutation: a key removed, retyped, renamed, added, or a value nested. */
function mutateTree(base: string, r: Random): string {
  const doc = parseDocument(base)
  const tree = doc.toJS() as Record<string, unknown>
  for (let n = r.int(1, 3); n > 0; n--) {
    const all = paths(tree).filter((p) => p.length > 0)
    const p = r.pick(all)
    const parent = p
      .slice(0, -1)
      .reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], tree) as Record<string | number, unknown>
    const key = p[p.length - 1]!
    switch (r.int(0, 5)) {
      case 0:
        delete parent[key]
        break
      case 1:
        parent[key] = r.pick(VALUES(r))
        break
      case 2: {
        const v = parent[key]
        delete parent[key]
        parent[`${String(key)}${r.pick(['s', '_', 'X', ''])}${r.string(1)}`] = v
        break
      }
      case 3:
        parent[r.string(r.int(1, 8))] = r.pick(VALUES(r))
        break
      case 4:
        parent[key] = { nested: parent[key] }
        break
      default:
        parent[key] = [parent[key], parent[key]]
    }
  }
  return stringify(tree)
}

/** A textual mutation: what a hurried edit over SSH does to a file. */
function mutateText(base: string, r: Random): string {
  let s = base
  for (let n = r.int(1, 4); n > 0; n--) {
    const i = r.int(0, s.length)
    const lines = s.split('\n')
    const l = r.int(0, lines.length - 1)
    switch (r.int(0, 9)) {
      case 0:
        s = s.slice(0, i) + r.string(r.int(1, 5), ODD) + s.slice(i)
        break
      case 1:
        s = s.slice(0, i) + s.slice(i + r.int(1, 20))
        break
      case 2:
        s = s.slice(0, i)
        break
      case 3:
        lines.splice(l, 0, lines[l]!)
        s = lines.join('\n')
        break
      case 4:
        lines[l] = `\t${lines[l]}`
        s = lines.join('\n')
        break
      case 5:
        s = `${s}\nx: &a [1, 2]\ny: [*a, *a, *a]\n`
        break
      case 6:
        s =
          s.slice(0, i) +
          r.pick(['!!binary ', '!!js/function ', '!!set ', '? ', '&x ', '*x ', '<<: ', '--- ']) +
          s.slice(i)
        break
      case 7:
        s = s.slice(0, i) + r.pick(['${', '${X', '${A}${B}', '$${CAM_PW}', '}']) + s.slice(i)
        break
      case 8:
        s =
          s.slice(0, i) +
          String(r.pick(['1e400', '-0', '9007199254740993', 0x7fffffff, '0x1F', '1_000', '.inf', '.nan'])) +
          s.slice(i)
        break
      default:
        lines.splice(l, 1)
        s = lines.join('\n')
    }
  }
  return s
}

t.test('config loader: seeded mutations load or fail with located problems', async (t) => {
  const dir = tempDir(t)
  let cases = 0
  let loaded = 0
  const started = Date.now()
  for (const seed of seeds([17, 4711, 20251201])) {
    const r = new Random(seed)
    const n = count(1000)
    for (let i = 0; i < n; i++) {
      const base = r.pick(BASES)
      const text = r.chance(0.5) ? mutateTree(base, r) : mutateText(base, r)
      const why = judge(text)
      cases++
      if (why === null) {
        loaded += Number(isValid(text))
        continue
      }
      const file = path.join(dir, `seed${seed}-case${i}.yaml`)
      fs.writeFileSync(file, text)
      t.fail(`seed ${seed} case ${i}: ${why.split('\n')[0]} (input kept in ${file}; copy it to ${FIXTURES})`)
    }
  }
  t.comment(`${cases} mutated configs (${loaded} still valid) in ${Date.now() - started} ms`)
  t.pass(`${cases} cases`)
})

function isValid(text: string): boolean {
  try {
    parseConfig(text, '/etc/edgewatch/config.yaml', OPTS)
    return true
  } catch {
    return false
  }
}

t.test('found crashes stay fixed (test/fixtures/configs/fuzz)', async (t) => {
  const files = fs.existsSync(FIXTURES) ? fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml')) : []
  for (const f of files) t.equal(judge(fs.readFileSync(path.join(FIXTURES, f), 'utf8')), null, f)
  t.pass(`${files.length} fixtures`)
})

function check(file: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'check', '--config', file], {
      env: { ...process.env, ...ENV },
    })
    let stderr = ''
    let stdout = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.on('close', (code) => resolve({ code, stderr, stdout }))
  })
}

t.test(
  'edgewatch check on a sample of them: exit 0 or 78, one line per problem, no stack trace',
  async (t) => {
    const dir = tempDir(t)
    const r = new Random(seeds([99])[0]!)
    const n = count(8)
    const runs: Promise<void>[] = []
    for (let i = 0; i < n; i++) {
      // The bases name files that do not exist here; the CLI checks files, so point the
      // model at the bundled one and keep the rest as mutated.
      const text = (r.chance(0.5) ? mutateTree(BASES[2]!, r) : mutateText(BASES[2]!, r)).replaceAll(
        '/tmp/e.db',
        path.join(dir, 'e.db'),
      )
      const file = path.join(dir, `c${i}.yaml`)
      fs.writeFileSync(file, text)
      runs.push(
        check(file).then((res) => {
          t.ok(res.code === 0 || res.code === 78, `case ${i}: exit ${res.code}`)
          t.notMatch(res.stderr, /^\s+at /m, `case ${i}: no stack trace`)
          if (res.code === 78)
            t.match(res.stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `, 'm'))
        }),
      )
      if (runs.length >= 2) await runs.shift()
    }
    await Promise.all(runs)
  },
)
