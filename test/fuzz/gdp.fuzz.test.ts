// Fuzzing the GDP parser, which reads whatever a camera child writes on fd 3: real
// gdppay output (caps, events, buffers) truncated, bit-flipped, spliced with garbage, with
// lengths rewritten, and plain random bytes, each fed in random chunk sizes. The parser
// may emit packets or throw GdpError (its boundary: the camera then restarts the child);
// nothing else may escape, and the text parsers behind it (caps, segments) never throw.
// Memory stays bounded: a header that claims a huge payload is refused before any
// allocation, and the parser holds at most one payload.
import t from 'tap'
import { GdpError, GdpParser, GDP_HEADER_SIZE, GDP_MAX_PAYLOAD } from '../../src/pipeline/gdp.js'
import { parseVideoCaps, sourceCapsFromVerboseLine } from '../../src/pipeline/caps.js'
import { parseSegmentEvent, streamTimeSeconds } from '../../src/pipeline/segment.js'
import { count, Random, seeds } from './random.js'
import { gdppay } from '../harness/gdppay.js'

/** Feeds `bytes` in random chunks; the outcome, or what escaped that should not have. */
function feed(bytes: Uint8Array, r: Random): { packets: number; gdpError: boolean; escaped: unknown } {
  const parser = new GdpParser()
  let packets = 0
  let segment: ReturnType<typeof parseSegmentEvent> = null
  try {
    for (let i = 0; i < bytes.length;) {
      const n = r.pick([1, 2, 7, 61, 62, 63, 4096, r.int(1, 70_000)])
      parser.push(bytes.subarray(i, i + n), (p) => {
        packets++
        // What camera.ts does with each packet: none of it may throw either.
        if (p.kind === 'caps') parseVideoCaps(p.caps)
        if (p.kind === 'event') segment = parseSegmentEvent(p.text) ?? segment
        if (p.kind === 'buffer' && p.pts !== null) streamTimeSeconds(p.pts, segment)
        if (p.kind === 'caps') sourceCapsFromVerboseLine(p.caps)
      })
      i += n
    }
    return { packets, gdpError: false, escaped: null }
  } catch (err) {
    return err instanceof GdpError
      ? { packets, gdpError: true, escaped: null }
      : { packets, gdpError: false, escaped: err }
  }
}

function mutate(base: Buffer, r: Random): Uint8Array {
  const b = Uint8Array.from(base)
  switch (r.int(0, 6)) {
    case 0:
      return b.subarray(0, r.int(0, b.length))
    case 1: {
      for (let k = r.int(1, 8); k > 0; k--) b[r.int(0, b.length - 1)]! ^= 1 << r.int(0, 7)
      return b
    }
    case 2: {
      // Rewrite the payload length of a header at a packet boundary-ish offset.
      const at = r.int(0, Math.max(0, Math.floor(b.length / GDP_HEADER_SIZE) - 1)) * GDP_HEADER_SIZE
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
      if (at + 10 <= b.length)
        view.setUint32(at + 6, r.pick([0, 1, 0xffffffff, GDP_MAX_PAYLOAD + 1, r.int(0, 2 ** 31)]))
      return b
    }
    case 3: {
      const cut = r.int(0, b.length)
      return Buffer.concat([b.subarray(0, cut), r.bytes(r.int(1, 300)), b.subarray(cut)])
    }
    case 4:
      // Valid headers, random payload types and text without a terminating NUL.
      for (let at = 0; at + 6 <= b.length; at += GDP_HEADER_SIZE * r.int(1, 4)) {
        b[at + 4] = r.int(0, 255)
        b[at + 5] = r.int(0, 255)
      }
      return b
    case 5:
      return r.bytes(r.int(0, 5000))
    default: {
      // A forged header: GDP 1.0, any type and length, then a short or long payload.
      const h = new Uint8Array(GDP_HEADER_SIZE)
      h[0] = 1
      h[1] = 0
      const view = new DataView(h.buffer)
      view.setUint16(4, r.pick([1, 2, 64 + 14, 64 + 40, r.int(0, 65535)]))
      view.setUint32(6, r.int(0, 1 << 20))
      view.setBigUint64(10, BigInt(r.int(0, 2 ** 31)) * BigInt(r.int(0, 2 ** 31)))
      return Buffer.concat([h, r.bytes(r.int(0, 2000))])
    }
  }
}

t.test('GDP parser: mutated and random streams give packets or GdpError, nothing else', async (t) => {
  const bases = [gdppay(8, 4, 3), gdppay(33, 17, 2), gdppay(64, 48, 1)]
  let cases = 0
  let errors = 0
  let packets = 0
  const started = Date.now()
  for (const seed of seeds([3, 1234, 987654])) {
    const r = new Random(seed)
    for (let i = 0; i < count(4000); i++) {
      const out = feed(mutate(r.pick(bases), r), r)
      cases++
      packets += out.packets
      errors += Number(out.gdpError)
      if (out.escaped !== null)
        t.fail(
          `seed ${seed} case ${i}: ${out.escaped instanceof Error ? out.escaped.stack : JSON.stringify(out.escaped)}`,
        )
    }
  }
  t.comment(`${cases} streams, ${packets} packets, ${errors} GdpErrors in ${Date.now() - started} ms`)
  t.ok(errors > 0 && packets > 0, 'the mutations reach both outcomes')
})

t.test('a header claiming 4 GiB is refused before any allocation', async (t) => {
  const h = new Uint8Array(GDP_HEADER_SIZE)
  h[0] = 1
  new DataView(h.buffer).setUint16(4, 1)
  new DataView(h.buffer).setUint32(6, 0xffffffff)
  const before = process.memoryUsage().arrayBuffers
  t.throws(() => new GdpParser().push(h, () => undefined), GdpError)
  t.ok(process.memoryUsage().arrayBuffers - before < 1024 * 1024, 'nothing allocated')
  t.throws(() => new GdpParser().push(h, () => undefined), { message: /GDP payload of 4294967295 bytes/ })
})
