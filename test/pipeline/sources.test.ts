// Other sources and codecs: H.265 over RTSP, RTSP over UDP, local files looped or read
// flat out, and a custom GStreamer source.
import t from 'tap'
import { startRtspServer } from '../harness/rtsp-server.js'
import { tempDir } from '../harness/tmp.js'
import { camera, makeClip, recordingManager, until } from './helpers.js'

t.test('H.265 over RTSP and H.264 over RTSP/UDP', async (t) => {
  const s = await startRtspServer(t, {
    mounts: { '/h265': 'testsrc-h265', '/h264': 'testsrc' },
    width: 320,
    height: 240,
    fps: 10,
  })
  const r = recordingManager(t, {
    hevc: camera({ url: s.url('/h265') }),
    udp: camera({ url: s.url('/h264'), transport: 'udp' }),
  })
  await r.manager.start()
  await until(
    'frames from both',
    () => r.framesOf('hevc').length >= 3 && r.framesOf('udp').length >= 3,
    60_000,
  )
  t.match(r.framesOf('hevc').at(-1), { width: 160, height: 120, sourceWidth: 320, sourceHeight: 240 })
  t.match(r.manager.status(), { hevc: { state: 'streaming' }, udp: { state: 'streaming' } })
})

t.test('files: looped at their own rate, or read flat out', async (t) => {
  const dir = tempDir(t)
  const clip = makeClip(dir, 2, 10)
  const r = recordingManager(t, {
    looped: camera({ url: `file://${clip}`, loop: true, max_fps: 10 }),
    batch: camera({ url: `file://${clip}`, realtime: false, max_fps: 100 }),
  })
  await r.manager.start()
  await until('the batch file ends', () => r.manager.status().batch!.state === 'stopped')
  t.equal(r.framesOf('batch').length, 20, 'realtime: false delivers every frame of the file')
  t.same(
    r.framesOf('batch').map((f) => Math.round(f.pts! * 10)),
    Array.from({ length: 20 }, (_, i) => i),
    'pts is the position in the file',
  )
  await until(
    'the looped file starts again',
    () => r.framesOf('looped').some((f, i, all) => i > 0 && f.pts! < all[i - 1]!.pts!),
    30_000,
  )
  const looped = r.framesOf('looped')
  t.same(
    looped.map((f) => f.seq),
    looped.map((_, i) => i + 1),
    'seq keeps counting across the loop',
  )
  t.match(r.manager.status().looped, { state: 'streaming', restarts: 0, last_error: null })
})

t.test('a custom GStreamer source', async (t) => {
  const r = recordingManager(t, {
    custom: camera({
      pipeline: 'videotestsrc is-live=true ! video/x-raw,width=200,height=100,framerate=10/1',
    }),
  })
  await r.manager.start()
  await until('frames', () => r.frames.length >= 3)
  t.match(r.frames.at(-1), { width: 160, height: 80, sourceWidth: 200, sourceHeight: 100 })
})
