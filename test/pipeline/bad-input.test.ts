// Bad input never crashes the manager: each case ends in a clear per-camera state, a
// short reason and a log line, while the healthy camera beside it keeps streaming.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { startRtspServer } from '../harness/rtsp-server.js'
import { freePort } from '../harness/ports.js'
import { tempDir } from '../harness/tmp.js'
import { camera, recordingManager, until } from './helpers.js'

const OPENCV_DATA = '/usr/share/doc/opencv-doc/examples/data'

t.test('unreachable, 401, 404 and no-video cameras beside a healthy one', async (t) => {
  const s = await startRtspServer(t, {
    mounts: { '/ok': 'testsrc', '/audio': 'audio-only' },
    width: 320,
    height: 240,
    fps: 10,
    user: 'viewer',
    password: 's3cret',
  })
  const closedPort = await freePort()
  const wrongPw = s.url('/ok').replace('s3cret', 'wrong-pw')
  const r = recordingManager(t, {
    ok: camera({ url: s.url('/ok') }),
    unreachable: camera({ url: `rtsp://127.0.0.1:${closedPort}/cam` }),
    unauthorized: camera({ url: wrongPw }),
    notfound: camera({ url: s.url('/no-such-path') }),
    novideo: camera({ url: s.url('/audio') }),
  })
  await r.manager.start()
  const expect = {
    unreachable: { state: 'backoff', last_error: /^cannot connect to the camera/ },
    unauthorized: { state: 'failed', last_error: /^unauthorized \(401\)/ },
    notfound: { state: 'failed', last_error: /^not found \(404\)/ },
    novideo: { state: 'failed', last_error: /^no video in the stream/ },
  } as const
  await until('every bad camera has its verdict', () => {
    const st = r.manager.status()
    return Object.keys(expect).every((n) => st[n]!.restarts >= 1)
  })
  const st = r.manager.status()
  for (const [name, want] of Object.entries(expect)) {
    t.match(st[name], { ...want, frames: { delivered: 0 }, last_frame_age: null }, name)
    t.ok(
      r.logs.some(
        (l) =>
          l.camera === name &&
          typeof l.msg === 'string' &&
          want.last_error.test(l.msg.replace(/^camera (failed|down): /, '')),
      ),
      `${name}: a log line says why`,
    )
  }
  const all = JSON.stringify(r.logs) + JSON.stringify(st)
  t.notMatch(all, /wrong-pw|s3cret/, 'no password in logs or status')
  await until('healthy camera streams', () => r.framesOf('ok').length > 5)
  t.equal(r.manager.status().ok!.state, 'streaming')
})

const bugy = path.join(OPENCV_DATA, 'Megamind_bugy.avi')
const noClip = fs.existsSync(bugy) ? false : `${bugy} missing (apt-get install opencv-doc)`

t.test('a corrupt clip (opencv-doc Megamind_bugy.avi) and a missing file', { skip: noClip }, async (t) => {
  const dir = tempDir(t)
  const r = recordingManager(t, {
    bugy: camera({ url: `file://${bugy}`, realtime: false, max_fps: 2 }),
    missing: camera({ url: `file://${dir}/nope.mp4` }),
  })
  await r.manager.start()
  await until('the corrupt clip plays to its end', () => r.manager.status().bugy!.state === 'stopped', 90_000)
  await until('missing file has its verdict', () => r.manager.status().missing!.restarts >= 1)
  const st = r.manager.status()
  t.ok(
    st.bugy!.frames.delivered > 0,
    `decodable frames of the corrupt clip came through (${st.bugy!.frames.delivered})`,
  )
  t.match(st.bugy, { state: 'stopped', restarts: 0 }, 'ends at end of file, no crash, no restart loop')
  t.ok(r.logs.some((l) => l.camera === 'bugy' && l.msg === 'end of file'))
  t.match(st.missing, { state: 'failed', last_error: /^source not found/ })
  const pts = r.framesOf('bugy').map((f) => f.pts!)
  t.ok(
    pts.every((p, i) => i === 0 || p > pts[i - 1]!),
    'file pts increase',
  )
})
