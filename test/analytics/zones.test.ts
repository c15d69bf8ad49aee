// Zones, lines, masks and filters on hand-made tracks, with exact expectations: the side
// rule of design.md §2, crossings counted once per crossing (never for jitter on the line),
// zone entry after `inertia` frames, masks and per-label filters before tracking.
import t from 'tap'
import { CameraSchema } from '../../src/config/schema.js'
import { CameraZones } from '../../src/analytics/camera-zones.js'
import { insidePolygon, selfIntersects, sideOf, segmentsIntersect } from '../../src/analytics/geometry.js'
import { Tracker, type Detection, type TrackerStep } from '../../src/tracking/tracker.js'

const W = 640
const H = 480
const cam = (over: Record<string, unknown>) => CameraSchema.parse({ url: 'rtsp://h/x', ...over })
const zonesFor = (over: Record<string, unknown>) => new CameraZones('c', cam(over))
/** A vertical line down the middle of the frame. */
const MID_LINE = {
  points: [
    [0.5, 0],
    [0.5, 1],
  ],
}
/** A 40x40 box whose bottom centre is at (x, y). */
const at = (x: number, y: number, label = 'person', score = 0.9): Detection => ({
  label,
  class: 0,
  score,
  box: [x - 20, y - 40, x + 20, y],
})

function run(zones: CameraZones, path: [number, number][]) {
  const tracker = new Tracker({ minHits: 1, maxAgeS: 5 })
  const out: { zones: string[][]; crossings: string[] } = { zones: [], crossings: [] }
  path.forEach(([x, y], i) => {
    const step: TrackerStep = tracker.step(i / 10, [at(x, y)], [])
    const r = zones.step(step, i, W, H)
    out.zones.push([...r.zones.values()][0] ?? [])
    out.crossings.push(...r.crossings.map((c) => `${c.line} ${c.direction} @${c.ts}`))
  })
  return out
}

t.test('geometry: the side rule, segments, polygons', async (t) => {
  // A vertical line drawn top to bottom: the right of the frame is negative, so moving
  // from right to left is from negative to positive: `in`.
  t.ok(sideOf([600, 240], [320, 0], [320, 480]) < 0)
  t.ok(sideOf([10, 240], [320, 0], [320, 480]) > 0)
  t.ok(segmentsIntersect([0, 0], [10, 10], [0, 10], [10, 0]))
  t.notOk(segmentsIntersect([0, 0], [1, 1], [2, 2], [3, 5]))
  t.ok(
    selfIntersects([
      [0, 0],
      [1, 1],
      [1, 0],
      [0, 1],
    ]),
    'a bow tie',
  )
  t.notOk(
    selfIntersects([
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
    ]),
    'a square',
  )
  t.ok(
    insidePolygon(
      [5, 5],
      [
        [0, 0],
        [10, 0],
        [10, 10],
        [0, 10],
      ],
    ),
  )
  t.notOk(
    insidePolygon(
      [15, 5],
      [
        [0, 0],
        [10, 0],
        [10, 10],
        [0, 10],
      ],
    ),
  )
})

t.test('a line: one crossing per crossing, the direction by the side rule', async (t) => {
  const z = zonesFor({ lines: { mid: MID_LINE } })
  // left to right (out), then back right to left (in), 10 px a frame
  const path: [number, number][] = []
  for (let x = 200; x <= 440; x += 10) path.push([x, 300])
  for (let x = 440; x >= 200; x -= 10) path.push([x, 300])
  // out once the bottom centre is past 320 + 8 (x 330, frame 13); in at x 310 (frame 38)
  t.same(run(z, path).crossings, ['mid out @13', 'mid in @38'])
})

t.test('jitter on the line and a stop on it count once', async (t) => {
  const z = zonesFor({ lines: { mid: MID_LINE } })
  const path: [number, number][] = [
    [290, 300],
    [300, 300],
    [310, 300],
  ]
  // on the line, jittering by up to 6 px either side (the hysteresis is 1 % of 800 px = 8 px)
  for (let i = 0; i < 30; i++) path.push([320 + (i % 2 ? 6 : -6), 300])
  path.push([330, 300], [340, 300])
  t.same(run(z, path).crossings, ['mid out @33'], 'counted once, when it clearly left the line')
})

t.test('a line is a segment: passing beside its end is no crossing', async (t) => {
  const z = zonesFor({
    lines: {
      short: {
        points: [
          [0.5, 0],
          [0.5, 0.3],
        ],
      },
    },
  })
  const path: [number, number][] = []
  for (let x = 200; x <= 440; x += 10) path.push([x, 400]) // below the segment's end (y 144)
  t.same(run(z, path).crossings, [])
})

t.test('a zone is entered and left after inertia frames', async (t) => {
  const z = zonesFor({
    zones: {
      yard: {
        points: [
          [0, 0.5],
          [0.5, 0.5],
          [0.5, 1],
          [0, 1],
        ],
        inertia: 3,
      },
    },
  })
  // The zone's top edge is y = 240; the object wanders a few px across it (one track).
  const path: [number, number][] = [
    [100, 230], // outside
    [100, 238],
    [100, 242], // inside from here
    [100, 246],
    [100, 250], // third frame inside: entered
    [100, 250],
    [100, 238], // outside
    [100, 242], // one frame back inside: no change
    [100, 238],
    [100, 236],
    [100, 234], // third frame outside in a row: left
  ]
  t.same(
    run(z, path).zones.map((zs) => zs.join()),
    ['', '', '', '', 'yard', 'yard', 'yard', 'yard', 'yard', 'yard', ''],
  )
})

t.test('zone labels: only the listed labels are in the zone', async (t) => {
  const z = zonesFor({
    zones: {
      yard: {
        points: [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 1],
        ],
        labels: ['car'],
        inertia: 1,
      },
    },
  })
  t.same(
    run(z, [
      [100, 300],
      [100, 300],
    ]).zones,
    [[], []],
    'a person is never in a car zone',
  )
})

t.test('masks and filters drop detections before tracking, and count why', async (t) => {
  const z = zonesFor({
    masks: [
      [
        [0, 0],
        [0.25, 0],
        [0.25, 0.25],
        [0, 0.25],
      ],
    ],
    filters: { person: { min_score: 0.5, min_area: 0.001, max_area: 0.2 } },
  })
  const kept = z.filter(
    [
      at(50, 50), // bottom centre inside the mask
      at(300, 300, 'person', 0.4), // below min_score
      { label: 'person', class: 0, score: 0.9, box: [300, 300, 305, 305] }, // 25 px²: under min_area
      { label: 'person', class: 0, score: 0.9, box: [0, 0, 600, 400] }, // most of the frame: over max_area
      at(300, 300), // kept
      at(400, 400, 'car', 0.3), // no filter for cars
    ],
    W,
    H,
  )
  t.same(
    kept.map((d) => `${d.label}@${d.box[2] - 20},${d.box[3]}`),
    ['person@300,300', 'car@400,400'],
  )
  t.same(z.filtered, { mask: 1, score: 1, area: 2 })
})
