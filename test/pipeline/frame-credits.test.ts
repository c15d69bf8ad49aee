// FrameCredits (src/pipeline/frame-credits.ts): one credit out at a time, and only while
// the slot downstream is free; a frame held too long frees the slot anyway.
import t from 'tap'
import { FrameCredits } from '../../src/pipeline/frame-credits.js'
import type { Frame } from '../../src/pipeline/frame.js'

function frame(seq: number): Frame {
  return {
    camera: 'c',
    seq,
    pts: null,
    ts: 0,
    width: 2,
    height: 2,
    sourceWidth: 2,
    sourceHeight: 2,
    data: new Uint8Array(12),
  }
}

function setup(child = true) {
  let now = 0
  const granted: number[] = []
  const c = new FrameCredits({
    now: () => now,
    grant: () => {
      if (child) granted.push(now)
      return child
    },
  })
  return { c, granted, at: (ms: number) => (now = ms) }
}

t.test('one credit per free slot, the next only after release', async (t) => {
  const { c, granted, at } = setup()
  c.newChild()
  t.same(granted, [0], 'a new child gets its first credit')
  const f1 = frame(1)
  c.hold(f1)
  c.used()
  t.equal(granted.length, 1, 'no credit while the frame waits downstream')
  t.ok(c.holding)
  at(40)
  f1.release!()
  t.same(granted, [0, 40], 'released: the next credit')
  t.notOk(c.holding)
  t.equal(c.freedAt, 40)
  f1.release!()
  t.equal(granted.length, 2, 'a second release of the same frame gives nothing')
})

t.test('a buffer that is not delivered (held for its size, or bad) gives the credit back', async (t) => {
  const { c, granted } = setup()
  c.newChild()
  c.used()
  t.equal(granted.length, 2)
})

t.test('a stale frame does not take the slot of the newer one', async (t) => {
  const { c, granted } = setup()
  c.newChild()
  const f1 = frame(1)
  c.hold(f1)
  c.used()
  c.expire(0)
  t.equal(granted.length, 2, 'expired at once with limit 0')
  const f2 = frame(2)
  c.hold(f2)
  c.used()
  f1.release!()
  t.ok(c.holding, "the old frame's release leaves the new one's slot alone")
  t.equal(granted.length, 2)
})

t.test('a frame held past the limit frees the slot; before it, nothing', async (t) => {
  const { c, granted, at } = setup()
  c.newChild()
  c.hold(frame(1))
  c.used()
  at(999)
  c.expire(1000)
  t.equal(granted.length, 1)
  at(1000)
  c.expire(1000)
  t.same(granted, [0, 1000])
})

t.test('no child to take a credit: none counted out, the next chance grants it', async (t) => {
  const { c, granted } = setup(false)
  c.newChild()
  t.same(granted, [])
  c.used()
  t.same(granted, [])
})
