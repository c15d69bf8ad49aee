// The demo's one status line a second: polls the daemon's /api/status and prints, per
// camera, fps in/processed, capture-to-result latency and the objects of the latest frame.
//   node scripts/lib/demo-status.mjs http://127.0.0.1:9310
const base = process.argv[2] ?? 'http://127.0.0.1:9310'
let shownWaiting = false

function line(s) {
  const time = new Date().toTimeString().slice(0, 8)
  const cams = Object.entries(s.cameras ?? {}).map(([name, c]) => {
    const objs = c.latest?.objects ?? []
    const labels = [...new Set(objs.map((o) => o.label))].join(', ')
    const latency = c.latency_ms != null ? `, latency ${Math.round(c.latency_ms)} ms` : ''
    return (
      `${name}: ${c.state}, in ${(c.fps_in ?? 0).toFixed(1)} fps, processed ${(c.fps ?? 0).toFixed(1)} fps` +
      `${latency}, ${objs.length} object(s)${labels ? ` (${labels})` : ''}` +
      (c.last_error && c.state !== 'streaming' ? `, ${c.last_error}` : '')
    )
  })
  const inf = s.inference ? `inference ${s.inference.last_ms?.toFixed?.(1) ?? '?'} ms on ${s.provider}` : ''
  return `${time} ${cams.join(' | ')} | ${inf} | outbox ${s.outbox?.backlog ?? 0}`
}

async function tick() {
  try {
    const res = await fetch(`${base}/api/status`, { signal: AbortSignal.timeout(900) })
    console.log(line(await res.json()))
  } catch {
    if (!shownWaiting) console.log('waiting for the daemon to listen on ' + base + ' …')
    shownWaiting = true
  }
}

setInterval(() => void tick(), 1000)
