// The tracker on synthetic trajectories with exact expectations: confirmation after
// min_hits, identities kept through a crossing, a short gap and a faded (low-score)
// stretch, variable time steps, the majority label, and the end after max_age_s.
import t from 'tap'
import { Tracker, type Detection } from '../../src/tracking/tracker.js'
import type { Box } from '../../src/tracking/kalman.js'

const box = (cx: number, cy: number, s = 40): Box => [cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2]
const det = (cx: number, cy: number, label = 'circle', score = 0.9, s = 40): Detection => ({
  label,
  class: ['circle', 'square', 'star'].indexOf(label),
  score,
  box: box(cx, cy, s),
})

t.test('confirmed after min_hits, then one id for its whole life', async (t) => {
  const tr = new Tracker({ minHits: 3, maxAgeS: 1 })
  const ids: (number | null)[] = []
  for (let i = 0; i < 10; i++) {
    const s = tr.step(i * 0.1, [det(100 + i * 5, 100)], [])
    ids.push(s.high[0]?.n ?? null)
    if (i === 2)
      t.same(
        s.confirmed.map((x) => x.n),
        [1],
        'confirmed at the third detection',
      )
  }
  t.same(ids, [null, null, 1, 1, 1, 1, 1, 1, 1, 1])
})

t.test('two objects crossing keep their identities', async (t) => {
  const tr = new Tracker({ minHits: 2, maxAgeS: 1 })
  const seen = new Map<string, Set<number>>()
  for (let i = 0; i <= 40; i++) {
    // A moves right, B moves left, same row: they overlap around i = 20.
    const a = det(100 + i * 10, 200, 'circle')
    const b = det(500 - i * 10, 205, 'square')
    const s = tr.step(i / 10, [a, b], [])
    for (const [k, name] of [
      [0, 'A'],
      [1, 'B'],
    ] as const) {
      const n = s.high[k]?.n
      if (n === undefined) continue
      const set = seen.get(name) ?? new Set()
      set.add(n)
      seen.set(name, set)
    }
  }
  t.same([...seen.get('A')!], [1])
  t.same([...seen.get('B')!], [2])
})

t.test('a gap shorter than max_age keeps the id; a longer one ends the track', async (t) => {
  const tr = new Tracker({ minHits: 2, maxAgeS: 1.5 })
  let t0 = 0
  for (let i = 0; i < 5; i++) tr.step((t0 = i * 0.1), [det(100 + i * 4, 100)], [])
  // 1 s without a detection (occlusion, dropped frames), moving on meanwhile
  for (let i = 5; i < 15; i++) t.same(tr.step((t0 = i * 0.1), [], []).ended, [])
  const back = tr.step(t0 + 0.1, [det(100 + 15 * 4, 100)], [])
  t.equal(back.high[0]?.n, 1, 'same track after the gap (the filter predicted the motion)')
  // now away for longer than max_age
  let ended: number[] = []
  for (let k = 1; k <= 20; k++)
    ended = ended.concat(tr.step(t0 + 0.1 + k * 0.1, [], []).ended.map((x) => x.n))
  t.same(ended, [1], 'ended once, after max_age_s')
})

t.test('low-score detections carry a confirmed track but start none', async (t) => {
  const tr = new Tracker({ minHits: 2, maxAgeS: 0.25 })
  for (let i = 0; i < 4; i++) tr.step(i * 0.1, [det(100 + i * 3, 100)], [])
  // The object fades: only low-score detections for 1 s (longer than max_age).
  for (let i = 4; i < 14; i++) {
    const s = tr.step(i * 0.1, [], [det(100 + i * 3, 100, 'circle', 0.2)])
    t.equal(s.low[0]?.n, 1, `frame ${i}: the faded object keeps track 1`)
    t.same(s.ended, [])
  }
  const s = tr.step(1.4, [], [det(400, 400, 'circle', 0.2)])
  t.equal(s.low[0], null, 'a low-score detection elsewhere is not a new track')
})

t.test('variable time steps: the motion model follows time, not frame count', async (t) => {
  const tr = new Tracker({ minHits: 1, maxAgeS: 2 })
  // 100 px/s; frames at irregular times (a camera dropping frames)
  const times = [0, 0.1, 0.15, 0.4, 0.45, 0.9, 1.0, 1.6, 1.65, 1.7]
  const ns = times.map(
    (time) => tr.step(time, [det(100 + 100 * time, 100, 'circle', 0.9, 30)], []).high[0]?.n,
  )
  t.same(
    ns,
    times.map(() => 1),
    'one track at every step, also after a 0.6 s jump of 60 px',
  )
})

t.test('the label is the majority of the detections', async (t) => {
  const tr = new Tracker({ minHits: 1, maxAgeS: 1 })
  const labels = ['star', 'circle', 'circle', 'star', 'circle', 'circle']
  let last = ''
  labels.forEach((l, i) => (last = tr.step(i * 0.1, [det(100, 100 + i, l)], []).high[0]!.label))
  t.equal(last, 'circle')
})

t.test('time going backwards (a looping file) ends every track', async (t) => {
  const tr = new Tracker({ minHits: 1, maxAgeS: 5 })
  tr.step(10, [det(100, 100)], [])
  tr.step(10.1, [det(102, 100)], [])
  const s = tr.step(0, [det(100, 100)], [])
  t.same(
    s.ended.map((x) => x.n),
    [1],
  )
  t.equal(s.high[0]?.n, 2, 'a new track from the first frame of the new loop')
})
