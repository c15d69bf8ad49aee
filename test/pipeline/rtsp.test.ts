// Frames from real RTSP cameras (gst-rtsp-server from the harness): two side by side, a
// server that dies and comes back, a child killed by a signal, a stall, a resolution
// change and a live reload.
import t from 'tap'
import { startRtspServer } from '../harness/rtsp-server.js'
import { camera, recordingManager, until } from './helpers.js'

const SMALL = { width: 320, height: 240, fps: 10 }

t.test('two cameras stream side by side; the server dies and returns', async (t) => {
  const a = await startRtspServer(t, { mounts: { '/a': 'testsrc' }, ...SMALL })
  const b = await startRtspServer(t, { mounts: { '/b': 'testsrc' }, ...SMALL })
  const r = recordingManager(t, {
    a: camera({ url: a.url('/a') }),
    b: camera({ url: b.url('/b'), max_fps: 3 }),
  })
  await r.manager.start()
  await until('frames from both cameras', () => r.framesOf('a').length >= 10 && r.framesOf('b').length >= 6)

  for (const name of ['a', 'b']) {
    const fs = r.framesOf(name)
    t.same(
      fs.map((f) => f.seq),
      fs.map((_, i) => i + 1),
      `${name}: seq starts at 1 and counts each frame`,
    )
    t.ok(
      fs.every((f, i) => f.pts !== null && f.pts >= 0 && (i === 0 || f.pts > fs[i - 1]!.pts!)),
      `${name}: pts increases`,
    )
    const f = fs.at(-1)!
    t.match(f, { width: 160, height: 120, sourceWidth: 320, sourceHeight: 240 }, 'scaled to fit, aspect kept')
    t.equal(f.data.byteOffset, 0)
    t.equal(f.data.buffer.byteLength, 160 * 120 * 3, 'data owns an ArrayBuffer of exactly w*h*3')
  }
  const st = r.manager.status()
  t.match(st.a, {
    state: 'streaming',
    restarts: 0,
    last_error: null,
    decoder: /^cpu/,
    source: { width: 320, height: 240 },
  })
  t.ok(st.b!.fps_delivered <= 4, `max_fps 3 holds (${st.b!.fps_delivered})`)

  // Kill camera a's server outright; b must not notice.
  const bBefore = r.framesOf('b').length
  await a.stop('SIGKILL')
  await until('camera a in backoff', () => r.manager.status().a!.state === 'backoff', 30_000)
  const down = r.manager.status().a!
  t.match(down, { state: 'backoff', last_error: /connection to the camera lost|cannot connect|stalled|EOS/ })
  t.ok(down.restarts >= 1, 'restart counted')
  t.ok(
    down.next_retry_s! > 0 && down.next_retry_s! <= 2.4,
    `backoff says when it retries (${down.next_retry_s} s)`,
  )
  await new Promise((res) => setTimeout(res, 4000))
  t.ok(r.framesOf('b').length > bBefore + 5, 'camera b kept streaming while a was down')
  const bGap = maxGap(
    r
      .framesOf('b')
      .slice(bBefore)
      .map((f) => f.ts),
  )
  t.ok(bGap < 3000, `camera b never paused (largest gap ${bGap} ms)`)
  t.ok(r.manager.status().a!.restarts >= 2, 'a retried while its server was away')

  const aBefore = r.framesOf('a').length
  await a.start()
  const back = Date.now()
  await until('camera a resumes', () => r.framesOf('a').length > aBefore, 20_000)
  const resumedAfter = Date.now() - back
  t.ok(resumedAfter < 5000, `frames resumed ${resumedAfter} ms after the server returned`)
  t.equal(r.framesOf('a').at(-1)!.seq, r.framesOf('a').at(-2)!.seq + 1, 'seq keeps counting across restarts')
  t.match(r.manager.status().a, { state: 'streaming', last_error: null })
  t.ok(
    r.logs.some((l) => l.msg.startsWith('camera down:')),
    'the outage was logged',
  )
})

t.test('a child killed by SIGKILL is restarted; a stalled camera too', async (t) => {
  const s = await startRtspServer(t, { mounts: { '/cam': 'testsrc' }, ...SMALL })
  const r = recordingManager(
    t,
    { cam: camera({ url: s.url('/cam'), stall_timeout: 2 }) },
    { backoff: { initialMs: 300 } },
  )
  await r.manager.start()
  await until('first frames', () => r.frames.length >= 3)
  const pid = r.manager.pids().cam!
  process.kill(pid, 'SIGKILL')
  await until('restart after SIGKILL', () => r.manager.status().cam!.restarts === 1)
  t.match(r.manager.status().cam, { last_error: 'camera child killed by SIGKILL' })
  t.ok(
    r.logs.some((l) => l.msg === 'camera down: camera child killed by SIGKILL'),
    'logged',
  )
  const n = r.frames.length
  await until('frames again', () => r.frames.length > n + 3)
  t.not(r.manager.pids().cam, pid, 'a new child')

  // A server that stops sending without closing the connection: the stall watchdog acts.
  const serverPid = s.pid()!
  process.kill(-serverPid, 'SIGSTOP')
  try {
    await until(
      'stall detected',
      () => /stalled|no frames within/.test(r.manager.status().cam!.last_error ?? ''),
      20_000,
    )
    t.pass(`stall reported: ${r.manager.status().cam!.last_error}`)
  } finally {
    process.kill(-serverPid, 'SIGCONT')
  }
  const m = r.frames.length
  await until('frames after the stall', () => r.frames.length > m + 3, 40_000)
  t.equal(r.manager.status().cam!.state, 'streaming')
})

t.test('a resolution change mid-stream is survived', async (t) => {
  const s = await startRtspServer(t, { mounts: { '/sw': 'testsrc-switch' }, ...SMALL, switchEvery: 2 })
  const r = recordingManager(
    t,
    { sw: camera({ url: s.url('/sw') }) },
    { target: { width: 416, height: 416 } },
  )
  await r.manager.start()
  await until('both sizes seen', () => {
    const sizes = new Set(r.frames.map((f) => `${f.sourceWidth}x${f.sourceHeight}`))
    return sizes.has('320x240') && sizes.has('160x120') && r.frames.length > 25
  })
  t.same(
    r.frames.filter((f) => !(f.width === 416 && f.height === 312)).map((f) => [f.seq, f.width, f.height]),
    [],
    'small sources are scaled up to fit the target, before and after the change',
  )
  t.equal(r.frames.at(-1)!.data.byteLength, 416 * 312 * 3)
  t.ok(
    r.logs.some((l) => l.msg === 'camera changed resolution'),
    'the change is logged',
  )
  t.same(
    r.frames.map((f) => f.seq),
    r.frames.map((_, i) => i + 1),
  )
  t.match(r.manager.status().sw, { state: 'streaming', restarts: 0 })
})

t.test('live reload keeps untouched cameras running', async (t) => {
  const s = await startRtspServer(t, { mounts: { '/x': 'testsrc', '/y': 'testsrc' }, ...SMALL })
  const x = camera({ url: s.url('/x') })
  const y = camera({ url: s.url('/y'), max_fps: 2 })
  const r = recordingManager(t, { x, y })
  await r.manager.start()
  await until('both stream', () => r.framesOf('x').length > 2 && r.framesOf('y').length > 2)
  const pidX = r.manager.pids().x
  const res = await r.manager.apply(
    { x, y: camera({ url: s.url('/y'), max_fps: 4 }), z: camera({ url: s.url('/y') }) },
    5,
  )
  t.same(res, { added: ['z'], removed: [], changed: ['y'], unchanged: ['x'] })
  t.equal(r.manager.pids().x, pidX, 'x kept its child')
  const yBefore = r.framesOf('y').at(-1)!.seq
  await until('y and z stream', () => r.framesOf('z').length > 2 && r.framesOf('y').at(-1)!.seq > yBefore + 2)
  t.equal(r.framesOf('y').find((f) => f.seq === yBefore + 1)?.seq, yBefore + 1, 'y continues its seq')
  const res2 = await r.manager.apply({ x, y: camera({ url: s.url('/y'), max_fps: 4, enabled: false }) }, 5)
  t.same(res2, { added: [], removed: ['y', 'z'], changed: [], unchanged: ['x'] })
  t.same(Object.keys(r.manager.status()), ['x'])
  t.equal(r.manager.pids().x, pidX)
})

function maxGap(ts: number[]): number {
  let gap = 0
  for (let i = 1; i < ts.length; i++) gap = Math.max(gap, ts[i]! - ts[i - 1]!)
  return gap
}
