// Event snapshots through the real image worker: a JPEG with the event's box lands in the
// state directory; while the worker is busy only the newest frame of an event waits; a
// directory that cannot be written costs the snapshot (counted, logged), nothing else.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import jpeg from 'jpeg-js'
import { EventSnapshots } from '../../src/service/event-snapshots.js'
import type { SnapshotRequest } from '../../src/tracking/camera-objects.js'
import { recordingLogger } from '../runtime/helpers.js'
import { tempDir } from '../harness/tmp.js'

function request(eventId: string, value = 40): SnapshotRequest {
  const width = 64
  const height = 48
  return {
    eventId,
    previous: null,
    camera: 'gate',
    track: 7,
    label: 'circle',
    class: 0,
    score: 0.9,
    box: [40, 20, 80, 60], // source pixels of a 128x96 camera: [20,10,40,30] in the frame
    ts: 1,
    result: {
      camera: 'gate',
      frameSeq: 1,
      pts: 0,
      ts: 1,
      frame: { width: 128, height: 96 },
      model: 'm',
      inference_ms: 1,
      objects: [],
      pixels: { width, height, data: new Uint8Array(width * height * 3).fill(value) },
    },
  }
}

t.test('a snapshot is a JPEG of the frame with the box, in <dir>/<camera>/<start>-<track>.jpg', async (t) => {
  const dir = path.join(tempDir(t), 'snapshots')
  const { log } = recordingLogger()
  const s = new EventSnapshots(dir, log)
  s.start()
  t.teardown(() => s.stop())
  const id = 'dev/gate/1764316800000-7'
  t.equal(await s.write(request(id)), 'written')
  const file = path.join(dir, 'gate', '1764316800000-7.jpg')
  t.equal(s.fileOf(id), file)
  const img = jpeg.decode(fs.readFileSync(file), { useTArray: true })
  t.match(img, { width: 64, height: 48 })
  const px = (x: number, y: number) => [...img.data.subarray((y * 64 + x) * 4, (y * 64 + x) * 4 + 3)]
  t.ok(px(30, 30)[0]! > 150, `the box's bottom edge is drawn in red (${px(30, 30).join(',')})`)
  t.ok(Math.abs(px(5, 40)[0]! - 40) < 12, 'outside the box the frame is as it was')
  t.equal(s.stats().written, 1)
  t.equal(s.bytes(), fs.statSync(file).size)
  s.remove(id)
  t.notOk(fs.existsSync(file), 'retention removes the file')
  t.equal(s.bytes(), 0)
})

t.test('while the worker is busy, a newer frame of the same event replaces the waiting one', async (t) => {
  const dir = path.join(tempDir(t), 'snapshots')
  const s = new EventSnapshots(dir, recordingLogger().log)
  s.start()
  t.teardown(() => s.stop())
  const outcomes = await Promise.all([
    s.write(request('dev/gate/1-1')),
    s.write(request('dev/gate/1-2')),
    s.write(request('dev/gate/1-3', 10)),
    s.write(request('dev/gate/1-3', 200)),
  ])
  t.same(outcomes, ['written', 'written', 'superseded', 'written'])
  t.equal(s.stats().superseded, 1)
})

t.test('a directory that cannot be written: counted and logged, never thrown', async (t) => {
  const base = tempDir(t)
  fs.writeFileSync(path.join(base, 'file'), 'not a directory')
  const { log, lines } = recordingLogger()
  const s = new EventSnapshots(path.join(base, 'file', 'snapshots'), log)
  s.start()
  t.teardown(() => s.stop())
  t.equal(await s.write(request('dev/gate/1-1')), 'failed')
  t.equal(await s.write(request('dev/gate/1-2')), 'failed')
  // start() could not read the directory either: that counts as the first failure
  t.match(s.stats(), { written: 0, failed: 3, last_error: /ENOTDIR/ })
  const warned = lines().filter((l) => /cannot write an event snapshot/.test(String(l.msg)))
  t.equal(warned.length, 1, 'one log line for the episode, not one per frame')
})

t.test('encoding is paced: after an encode of d ms the next waits d x (1/share - 1)', async (t) => {
  const dir = path.join(tempDir(t), 'snapshots')
  const share = 0.1
  const s = new EventSnapshots(dir, recordingLogger().log, share)
  s.start()
  t.teardown(() => s.stop())
  const done: number[] = []
  const stamp = (p: Promise<unknown>) => p.then(() => done.push(Date.now()))
  const first = stamp(s.write(request('dev/gate/1-1')))
  const second = stamp(s.write(request('dev/gate/1-2')))
  await first
  const d = s.stats().encode_ms
  await second
  const gap = done[1]! - done[0]!
  t.ok(
    gap >= d * (1 / share - 1) * 0.9,
    `the second waited ${gap} ms after the first, which took ${d} ms (share ${share})`,
  )
  t.equal(s.stats().written, 2)
})
