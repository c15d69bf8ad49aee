// The tracking scorer on sequences small enough to count by hand.
import t from 'tap'
import { scoreTracking, type Box, type MotFrame } from './mot.js'

const b = (x: number): Box => [x, 0, x + 10, 10]
const far = (x: number): Box => [x + 500, 500, x + 510, 510]

t.test('perfect tracks: MOTA 1, IDF1 1, no switches', async (t) => {
  const frames: MotFrame[] = [0, 1, 2, 3, 4].map((i) => ({
    truth: [
      { id: 1, box: b(i) },
      { id: 2, box: far(i) },
    ],
    hyp: [
      { id: 'x', box: b(i) },
      { id: 'y', box: far(i) },
    ],
  }))
  const s = scoreTracking(frames)
  t.match(s, { truths: 10, matches: 10, misses: 0, falsePositives: 0, idSwitches: 0, mota: 1, idf1: 1 })
  t.same([...s.coveredBy.get('1')!], ['x'])
})

t.test('an identity switch: MOTA 0.8, IDF1 0.6', async (t) => {
  const frames: MotFrame[] = [0, 1, 2, 3, 4].map((i) => ({
    truth: [{ id: 1, box: b(i) }],
    hyp: [{ id: i < 3 ? 'a' : 'b', box: b(i) }],
  }))
  const s = scoreTracking(frames)
  t.equal(s.idSwitches, 1)
  t.equal(s.mota, 0.8)
  // best single pairing 1<->a: 3 frames; IDTP 3, IDFN 2, IDFP 2
  t.equal(s.idf1, 0.6)
  t.same([...s.coveredBy.get('1')!].sort(), ['a', 'b'])
})

t.test('misses and a false positive', async (t) => {
  const frames: MotFrame[] = [
    { truth: [{ id: 1, box: b(0) }], hyp: [{ id: 'a', box: b(0) }] },
    { truth: [{ id: 1, box: b(1) }], hyp: [] },
    {
      truth: [{ id: 1, box: b(2) }],
      hyp: [
        { id: 'a', box: b(2) },
        { id: 'z', box: far(0) },
      ],
    },
    { truth: [{ id: 1, box: b(3) }], hyp: [{ id: 'a', box: [50, 50, 60, 60] }] },
  ]
  const s = scoreTracking(frames)
  t.match(s, { truths: 4, hyps: 4, matches: 2, misses: 2, falsePositives: 2, idSwitches: 0 })
  t.equal(s.mota, 0)
  t.equal(s.idf1, (2 * 2) / (4 + 2 + 2))
})

t.test('a match is kept while it overlaps, even if another hypothesis fits better', async (t) => {
  const frames: MotFrame[] = [
    { truth: [{ id: 1, box: [0, 0, 10, 10] }], hyp: [{ id: 'a', box: [0, 0, 10, 10] }] },
    {
      truth: [{ id: 1, box: [0, 0, 10, 10] }],
      hyp: [
        { id: 'a', box: [1, 0, 11, 10] },
        { id: 'b', box: [0, 0, 10, 10] },
      ],
    },
  ]
  const s = scoreTracking(frames)
  t.equal(s.idSwitches, 0, 'no switch: a still overlaps (IoU 0.82)')
  t.equal(s.falsePositives, 1)
})
