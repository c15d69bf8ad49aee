// The camera child (bin/edgewatch-gst-child.py) keeps the gst-launch-1.0 -v contract
// that camera.ts, caps.ts and errors.ts read, checked against gst-launch-1.0 itself on
// the same pipelines; and the environment a child gets is built, not inherited.
import t from 'tap'
import { spawn } from 'node:child_process'
import { CAMERA_CHILD, PYTHON, spawnGst } from '../../src/pipeline/child.js'
import { childEnv } from '../../src/pipeline/child-env.js'
import { sourceCapsFromVerboseLine } from '../../src/pipeline/caps.js'
import { classifyGstError, StderrScanner } from '../../src/pipeline/errors.js'
import { GdpParser } from '../../src/pipeline/gdp.js'
import { splitDescription } from '../../src/pipeline/describe.js'

const TEST_PIPELINE =
  'videotestsrc num-buffers=3 ! video/x-raw,format=I420,width=320,height=240,framerate=10/1 ! ' +
  'videorate name=ewsource ! videoscale ! videoconvert ! video/x-raw,format=RGB,width=160,height=120 ! ' +
  'gdppay ! fdsink fd=3'

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  buffers: number
}

function collect(child: ReturnType<typeof spawn>): Promise<Run> {
  let stdout = ''
  let stderr = ''
  let buffers = 0
  const parser = new GdpParser()
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  child.stdio[3]!.on('data', (d: Buffer) =>
    parser.push(d, (p) => {
      if (p.kind === 'buffer') buffers++
    }),
  )
  return new Promise((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, buffers })),
  )
}

const stdio: ['ignore', 'pipe', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe', 'pipe']

function runChild(description: string, extra: Record<string, string> = {}): Promise<Run> {
  const child = spawn(PYTHON, ['-I', CAMERA_CHILD, '--camera', 'test'], {
    stdio,
    env: childEnv(process.env, { EDGEWATCH_PIPELINE: description, ...extra }),
  })
  return collect(child)
}

function runGstLaunch(description: string): Promise<Run> {
  const child = spawn('gst-launch-1.0', ['-v', ...splitDescription(description)], {
    stdio,
    env: childEnv(process.env),
  })
  return collect(child)
}

const sourceLines = (out: string) => out.split('\n').filter((l) => sourceCapsFromVerboseLine(l) !== null)

t.test('frames on fd 3, the ewsource caps line on stdout and exit 0 at EOS, as gst-launch', async (t) => {
  const [mine, gst] = await Promise.all([runChild(TEST_PIPELINE), runGstLaunch(TEST_PIPELINE)])
  t.equal(mine.code, 0, mine.stderr)
  t.equal(mine.buffers, 3, 'every buffer framed on fd 3')
  t.equal(gst.buffers, 3)
  t.same(
    sourceLines(mine.stdout),
    sourceLines(gst.stdout),
    'the same source caps line, character for character',
  )
  t.same(sourceCapsFromVerboseLine(sourceLines(mine.stdout)[0]!), {
    media: 'video/x-raw',
    format: 'I420',
    width: 320,
    height: 240,
    fps: 10,
  })
})

t.test('errors: the same ERROR blocks, classified the same; exit 1', async (t) => {
  const missing = 'filesrc location=/nonexistent/clip.mp4 ! decodebin ! videorate name=ewsource ! fakesink'
  const [mine, gst] = await Promise.all([runChild(missing), runGstLaunch(missing)])
  t.equal(mine.code, 1)
  t.not(gst.code, 0)
  const blocks = (text: string) => {
    const out: string[] = []
    const s = new StderrScanner((b) => out.push(b))
    s.push(text)
    s.end()
    return out
  }
  const first = blocks(mine.stderr)[0]!
  t.equal(first, blocks(gst.stderr)[0], 'the first ERROR block matches gst-launch-1.0')
  t.match(classifyGstError(first), { reason: 'source not found (no such file or device)', permanent: true })

  const bad = await runChild('videotestsrc ! nosuchelement ! fakesink')
  t.equal(bad.code, 1)
  t.match(classifyGstError(blocks(bad.stderr)[0]!), {
    reason: 'invalid pipeline description: no element "nosuchelement"',
    permanent: true,
  })

  const noTarget = await runChild(TEST_PIPELINE, { EDGEWATCH_RTSP_USER: 'u', EDGEWATCH_RTSP_PASSWORD: 'p' })
  t.equal(noTarget.code, 1, 'credentials for a pipeline without ewrtsp are an error, not ignored')
  t.match(blocks(noTarget.stderr)[0], /no element named ewrtsp/)
})

t.test('SIGTERM ends a live child at once, like gst-launch-1.0', async (t) => {
  const g = spawnGst('live', {
    description: 'videotestsrc is-live=true ! videorate name=ewsource ! videoconvert ! gdppay ! fdsink fd=3',
    env: {},
    credentials: null,
  })
  await new Promise<void>((resolve) => g.child.stdio[3]!.once('data', () => resolve()))
  g.child.kill('SIGTERM')
  t.same(await g.exited, { code: null, signal: 'SIGTERM' })
})

t.test('a child environment is built from nothing', async (t) => {
  const env = childEnv(
    {
      PATH: '/usr/bin',
      HOME: '/var/lib/edgewatch',
      LANG: 'de_DE.UTF-8',
      LC_ALL: 'de_DE.UTF-8',
      GST_DEBUG: '2',
      EDGEWATCH_MQTT_PASSWORD: 'secret',
      NODE_OPTIONS: '--inspect',
      CUDA_CACHE_PATH: '/x',
    },
    { GST_PLUGIN_FEATURE_RANK: 'avdec_h264:MAX' },
  )
  t.same(env, {
    PATH: '/usr/bin',
    LANG: 'C.UTF-8',
    HOME: '/var/lib/edgewatch',
    GST_DEBUG: '2',
    GST_PLUGIN_FEATURE_RANK: 'avdec_h264:MAX',
  })
  t.equal(childEnv({}).PATH, '/usr/local/bin:/usr/bin:/bin', 'a PATH even when the daemon has none')
})
