// The scorer used by the accuracy proof, checked on cases with known answers.
import t from 'tap'
import { iou, meanAveragePrecision, type PredBox, type TruthBox } from './map.js'

const truth: TruthBox[] = [
  { image: 'a', label: 'circle', box: [0, 0, 10, 10] },
  { image: 'a', label: 'square', box: [20, 20, 40, 40] },
  { image: 'b', label: 'circle', box: [5, 5, 15, 15] },
]

t.test('iou', async (t) => {
  t.equal(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1)
  t.equal(iou([0, 0, 10, 10], [10, 10, 20, 20]), 0)
  t.equal(iou([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150)
})

t.test('perfect predictions give 1, none give 0', async (t) => {
  const perfect: PredBox[] = truth.map((x) => ({ ...x, score: 0.9 }))
  t.equal(meanAveragePrecision(truth, perfect, 0.5), 1)
  t.equal(meanAveragePrecision(truth, [], 0.5), 0)
})

t.test('a wrong label, a duplicate and a miss lower AP as expected', async (t) => {
  const preds: PredBox[] = [
    { image: 'a', label: 'circle', box: [0, 0, 10, 10], score: 0.9 },
    { image: 'a', label: 'circle', box: [0, 0, 10, 10], score: 0.8 }, // duplicate: false positive
    { image: 'a', label: 'square', box: [20, 20, 40, 40], score: 0.7 },
  ]
  // circle: recall reaches 0.5 at precision 1, never 1.0 → AP = 51/101; square: 1.
  const circleAp = 51 / 101
  t.ok(Math.abs(meanAveragePrecision(truth, preds, 0.5) - (circleAp + 1) / 2) < 1e-9)
})
