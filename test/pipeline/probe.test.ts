// `edgewatch check --probe` opens each camera once and says which decoder it chose.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { startRtspServer } from '../harness/rtsp-server.js'
import { tempDir } from '../harness/tmp.js'
import { runCli, REPO } from '../harness/cli.js'
import { probeCameras } from '../../src/pipeline/probe.js'
import { camera } from './helpers.js'

t.test('check --probe reports each camera', async (t) => {
  const s = await startRtspServer(t, { mounts: { '/cam': 'testsrc' }, width: 320, height: 240, fps: 10 })
  const dir = tempDir(t)
  const file = path.join(dir, 'config.yaml')
  fs.writeFileSync(
    file,
    [
      'device: { id: probe-01 }',
      `model: { path: ${path.join(REPO, 'test', 'fixtures', 'models', 'tiny.onnx')} }`,
      'cameras:',
      `  good: { url: "${s.url('/cam')}" }`,
      `  wrong: { url: "${s.url('/nope')}" }`,
      'storage: { path: ./db.sqlite }',
      '',
    ].join('\n'),
  )
  const r = await runCli(['check', '--config', file, '--probe'])
  t.equal(r.code, 1, 'a failed camera fails the probe')
  t.match(r.stdout, /camera good: ok, 320x240 → \d+x\d+, decoder cpu \(avdec\)/)
  t.match(r.stdout, /camera wrong: FAILED: not found \(404\)/)
})

t.test('probe of an invalid custom pipeline', async (t) => {
  const [r] = await probeCameras(
    { custom: camera({ pipeline: 'videotestsrc ! nosuchelement' }) },
    { defaultMaxFps: 5, target: { width: 160, height: 160 } },
  )
  t.match(r, { ok: false, reason: 'invalid pipeline description: no element "nosuchelement"' })
  const [ok] = await probeCameras(
    {
      custom: camera({
        pipeline: 'videotestsrc is-live=true ! video/x-raw,width=64,height=48,framerate=10/1',
      }),
    },
    { defaultMaxFps: 5, target: { width: 160, height: 160 } },
  )
  t.match(ok, { ok: true, source: { width: 64, height: 48 }, frame: { width: 160, height: 120 } })
})
