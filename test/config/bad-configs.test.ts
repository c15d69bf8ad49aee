// Every broken config prints all of its problems, each with its key path, and exits 78.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { runCli, REPO, BIN } from '../harness/cli.js'
import { tempDir } from '../harness/tmp.js'

const TINY_MODEL = path.join(REPO, 'test', 'fixtures', 'models', 'tiny.onnx')

const BAD = path.join(REPO, 'test', 'fixtures', 'configs', 'bad')

// fixture → lines (substrings) that must all be printed
const cases: Record<string, string[]> = {
  'wrong-types.yaml': [
    'cameras.gate.max_fps: expected number, got string "fast"',
    'model.threads: expected "auto" or number, got string "two"',
    'detect.score: expected number, got string "yes"',
  ],
  'unknown-keys.yaml': [
    'cameras.gate.maxfps: unknown key',
    'detect.scroe: unknown key',
    'mqttt: unknown key',
  ],
  'missing-url.yaml': ['cameras.gate.url: required'],
  'bad-scheme.yaml': ['cameras.gate.url: unsupported scheme "http"'],
  'negative-fps.yaml': ['detect.max_fps: must be > 0', 'cameras.gate.max_fps: must be > 0'],
  'unknown-provider.yaml': ['model.providers.1: expected one of "tensorrt", "cuda", "cpu", got "openvino"'],
  'duplicate-names.yaml': ['cameras.gate: duplicate key (line 4'],
  'duplicate-section.yaml': ['cameras: duplicate key (line 4, column 1)'],
  'duplicate-names-case.yaml': ['cameras.Gate: duplicate camera name (same as "gate" ignoring case)'],
  'yaml-syntax.yaml': ['YAML syntax error at line 4'],
  'empty.yaml': ['file is empty'],
  'no-cameras.yaml': ['cameras: at least one camera is required'],
  'user-without-password.yaml': ['mqtt.password: username is set but password is missing'],
  'missing-model.yaml': ['model.path: /nonexistent/model.onnx does not exist'],
  'remote-listen.yaml': ['http.listen: 0.0.0.0 is not a loopback address; set http.allow_remote: true'],
  'missing-env.yaml': ['mqtt.password: environment variable EDGEWATCH_TEST_UNSET_PASSWORD is not set'],
  'not-a-mapping.yaml': ['expected a YAML mapping'],
  'url-and-pipeline.yaml': ['cameras.gate.pipeline: set either url or pipeline, not both'],
  'bad-mqtt-url.yaml': ['mqtt.qos: expected one of 0, 1, 2, got 3'],
  'bad-camera-name.yaml': ['cameras.front/door: camera names may use letters'],
  'bad-track.yaml': [
    'track.min_hits: must be >= 1, got 0',
    'track.max_age_s: must be > 0, got 0',
    'events.retention_days: must be >= 0, got -1',
    'cameras.gate.track.min_hit: unknown key',
  ],
  'bad-zone-shape.yaml': [
    'cameras.gate.zones.outside.points.1.0: must be <= 1, got 1.2',
    'cameras.gate.zones.two.points: must have at least 3 item(s)',
    'cameras.gate.masks.0.1.0: must be >= 0, got -0.2',
  ],
  'bad-zones.yaml': [
    'cameras.gate.zones.bowtie.points: the polygon crosses itself',
    'cameras.gate.zones.yard: duplicate name (same as "Yard" ignoring case)',
    'cameras.gate.zones.Yard.labels: "person" is not one of the model\'s labels',
    'cameras.gate.lines.dot.points: the two points are the same',
    'cameras.gate.masks.0: the polygon crosses itself',
    'cameras.gate.filters.circle.min_area: min_area 0.5 is larger than max_area 0.1',
  ],
  'many-problems.yaml': [
    'device.id: must be 1-64 letters',
    'cameras.gate.transport: expected one of "tcp", "udp", got "sctp"',
    'log.level: expected one of',
  ],
}

t.test('every bad fixture has a case', async (t) => {
  t.same(fs.readdirSync(BAD).sort(), Object.keys(cases).sort())
})

for (const [fixture, expected] of Object.entries(cases)) {
  t.test(fixture, async (t) => {
    const file = path.join(BAD, fixture)
    const r = await runCli(['check', '--config', file])
    t.equal(r.code, 78, 'exit code 78 (EX_CONFIG)')
    for (const line of expected) t.match(r.stderr, `${file}: ${line}`, line)
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace')
    t.equal(r.stdout, '', 'nothing on stdout')
  })
}

t.test('several problems are all reported at once', async (t) => {
  const r = await runCli(['check', '--config', path.join(BAD, 'many-problems.yaml')])
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.includes('many-problems.yaml: '))
  t.ok(lines.length >= 3, `got ${lines.length} problems:\n${r.stderr}`)
})

t.test('the second pass runs when the shape is valid and reports several meaning problems', async (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'c.yaml')
  fs.writeFileSync(
    file,
    'cameras:\n  a: { url: "http://x/y" }\n  A: { url: "rtsp://h/p" }\nhttp: { listen: "10.0.0.1:80" }\nmqtt: { password: p }\n',
  )
  const r = await runCli(['check', '--config', file])
  t.equal(r.code, 78)
  t.match(r.stderr, 'cameras.a.url: unsupported scheme')
  t.match(r.stderr, 'cameras.A: duplicate camera name')
  t.match(r.stderr, 'http.listen: 10.0.0.1 is not a loopback address')
  t.match(r.stderr, 'mqtt.username: password is set but username is missing')
})

t.test('unreadable and missing files', async (t) => {
  const dir = tempDir(t)
  const missing = await runCli(['check', '--config', path.join(dir, 'nope.yaml')])
  t.equal(missing.code, 78)
  t.match(missing.stderr, 'nope.yaml: file not found')
  const asDir = await runCli(['check', '--config', dir])
  t.equal(asDir.code, 78)
  t.match(asDir.stderr, 'is a directory')
  if (process.getuid?.() !== 0) {
    const locked = path.join(dir, 'locked.yaml')
    fs.writeFileSync(locked, 'cameras: {}\n', { mode: 0o000 })
    const r = await runCli(['check', '--config', locked])
    t.equal(r.code, 78)
    t.match(r.stderr, 'permission denied')
  }
})

t.test('secrets from the environment are substituted and never printed', async (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'c.yaml')
  fs.writeFileSync(
    file,
    'cameras:\n  gate: { url: "rtsp://admin:${CAM_PW}@127.0.0.1/s" }\nmqtt: { username: u, password: "${MQ_PW}" }\nstorage: { path: ./x.db }\n' +
      `model: { path: ${TINY_MODEL} }\n`,
  )
  const r = await runCli(['check', '--config', file], { CAM_PW: 'hunter22', MQ_PW: 'topsecret' })
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, 'rtsp://admin:***@127.0.0.1/s')
  t.notMatch(r.stdout + r.stderr, /hunter22|topsecret/)
})

t.test('the real executable exits 78 without a stack trace', async (t) => {
  const r = spawnSync(process.execPath, [BIN, 'check', '--config', path.join(BAD, 'wrong-types.yaml')], {
    encoding: 'utf8',
  })
  t.equal(r.status, 78)
  t.match(r.stderr, 'cameras.gate.max_fps')
  t.notMatch(r.stderr, /\n\s+at /)
})
