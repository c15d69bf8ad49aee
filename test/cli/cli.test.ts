// The CLI's contract: verbs, usage errors (64), and `run` starting and stopping cleanly.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { runCli, BIN, REPO } from '../harness/cli.js'
import { startProcess, waitForOutput } from '../harness/process.js'
import { tempDir } from '../harness/tmp.js'

t.test('help and version', async (t) => {
  const help = await runCli(['--help'])
  t.equal(help.code, 0)
  for (const verb of ['run', 'check', 'version']) t.match(help.stdout, new RegExp(`\\n  ${verb}\\s`))
  const v = await runCli(['version'])
  t.equal(v.code, 0)
  t.match(v.stdout, /^edgewatch \d+\.\d+\.\d+/)
  const runHelp = await runCli(['run', '--help'])
  t.equal(runHelp.code, 0)
  t.match(runHelp.stdout, 'usage: edgewatch run')
})

t.test('usage errors exit 64', async (t) => {
  t.equal((await runCli([])).code, 64, 'no verb')
  const unknown = await runCli(['frobnicate'])
  t.equal(unknown.code, 64)
  t.match(unknown.stderr, 'unknown command "frobnicate"')
  const badFlag = await runCli(['check', '--nope'])
  t.equal(badFlag.code, 64)
  t.match(badFlag.stderr, "Unknown option '--nope'")
  const badFormat = await runCli(['run', '--log-format', 'xml', '--config', '/dev/null'])
  t.equal(badFormat.code, 64)
})

function writeConfig(dir: string): string {
  const file = path.join(dir, 'config.yaml')
  fs.writeFileSync(
    file,
    [
      'device: { id: cli-test }',
      'cameras:',
      '  gate: { url: "rtsp://viewer:s3cret-pw@127.0.0.1:9/none" }',
      'storage: { path: ./edgewatch.db }',
      'mqtt: { url: "mqtt://127.0.0.1:9", username: u, password: "mqtt-pw-123" }',
      'http: { enabled: false }',
      `model: { path: ${path.join(REPO, 'test', 'fixtures', 'models', 'tiny.onnx')} }`,
    ].join('\n') + '\n',
  )
  return file
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`run logs JSON and exits 0 on ${signal}`, async (t) => {
    const dir = tempDir(t)
    const file = writeConfig(dir)
    const p = startProcess(process.execPath, [BIN, 'run', '--config', file], { cwd: REPO })
    t.teardown(() => p.kill('SIGKILL'))
    await waitForOutput(p, (o) => o.includes('"msg":"ready"'), 60_000)
    const { pid } = p.child
    process.kill(pid!, signal)
    const { code } = await p.exited
    t.equal(code, 0, p.output())
    const lines = p
      .output()
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
    t.ok(lines.length >= 2)
    for (const l of lines) {
      const rec = JSON.parse(l)
      t.type(rec.level, 'string')
      t.type(rec.time, 'string')
    }
    t.notMatch(p.output(), /s3cret-pw|mqtt-pw-123/, 'no credentials in logs')
    t.match(p.output(), '"msg":"stopped"')
  })
}

t.test('run --log-format pretty prints human lines', async (t) => {
  const dir = tempDir(t)
  const file = writeConfig(dir)
  const p = startProcess(process.execPath, [BIN, 'run', '--config', file, '--log-format', 'pretty'], {
    cwd: REPO,
  })
  t.teardown(() => p.kill('SIGKILL'))
  await waitForOutput(p, (o) => /INFO.*ready/.test(o), 60_000)
  process.kill(p.child.pid!, 'SIGTERM')
  t.equal((await p.exited).code, 0)
  t.notMatch(p.output(), /^\{"level"/m)
})
