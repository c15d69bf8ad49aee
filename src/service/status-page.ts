// The status page at `/`: plain HTML and JS served as one string, no build step. It
// polls /api/status every 2 s and reloads each camera's latest.jpg (live tracks drawn with
// their numbers), draws the camera's zones, lines (an arrow shows `in`) and masks over it
// with their current counts, and lists the live tracks and the latest events with their
// snapshots. Values from the daemon go in with textContent only (free-form texts).
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgewatch</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1rem; background: #f4f4f4; color: #222; }
  header { display: flex; gap: 1.5rem; align-items: baseline; flex-wrap: wrap; }
  h1 { font-size: 1.3rem; margin: 0; }
  .bad { color: #b00020; font-weight: 600; }
  .ok { color: #1b7f1b; font-weight: 600; }
  #cameras { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 1rem; margin-top: 1rem; }
  .cam { background: #fff; border-radius: 6px; padding: .6rem; box-shadow: 0 1px 3px #0002; }
  .cam h2 { font-size: 1.05rem; margin: 0 0 .4rem; }
  .cam .frame { position: relative; }
  .cam img { width: 100%; background: #222; min-height: 120px; display: block; }
  .cam canvas.overlay { position: absolute; left: 0; top: 0; width: 100%; height: 100%; pointer-events: none; }
  .cam .geometry, .cam .tracks { font-family: ui-monospace, monospace; font-size: 12px; white-space: pre-wrap; margin: .3rem 0; }
  .cam .events { display: flex; gap: .4rem; flex-wrap: wrap; margin-top: .4rem; }
  .cam .events figure { margin: 0; width: 96px; font-size: 11px; }
  .cam .events img { min-height: 0; width: 96px; }
  .cam dl { display: grid; grid-template-columns: max-content 1fr; gap: 0 .8rem; margin: .4rem 0; }
  .cam dt { color: #666; }
  .cam dd { margin: 0; }
  .dets { font-family: ui-monospace, monospace; font-size: 12px; white-space: pre-wrap; }
</style>
</head>
<body>
<header>
  <h1>edgewatch <span id="device"></span></h1>
  <span>health: <span id="health">…</span></span>
  <span>model: <span id="model"></span> on <span id="ep"></span></span>
  <span>inference: <span id="latency"></span></span>
  <span>outbox backlog: <span id="backlog"></span></span>
  <span>MQTT: <span id="mqtt"></span></span>
  <span id="updated"></span>
</header>
<main id="cameras"></main>
<script>
'use strict'
const cards = new Map()
function text(el, v) { el.textContent = v === null || v === undefined ? '–' : String(v) }
function card(name) {
  let c = cards.get(name)
  if (c) return c
  const root = document.createElement('section')
  root.className = 'cam'
  const h = document.createElement('h2')
  h.textContent = name
  const frame = document.createElement('div')
  frame.className = 'frame'
  const img = document.createElement('img')
  img.alt = 'latest processed frame of ' + name
  const overlay = document.createElement('canvas')
  overlay.className = 'overlay'
  frame.append(img, overlay)
  const dl = document.createElement('dl')
  const fields = {}
  for (const [key, label] of [['state', 'state'], ['fps', 'fps in / processed'], ['latency', 'capture → result'], ['frames', 'frames recv / proc / dropped'],
    ['restarts', 'restarts'], ['error', 'last error']]) {
    const dt = document.createElement('dt'); dt.textContent = label
    const dd = document.createElement('dd'); fields[key] = dd
    dl.append(dt, dd)
  }
  const dets = document.createElement('div')
  dets.className = 'dets'
  const geometry = document.createElement('div')
  geometry.className = 'geometry'
  const tracks = document.createElement('div')
  tracks.className = 'tracks'
  const events = document.createElement('div')
  events.className = 'events'
  root.append(h, frame, dl, dets, geometry, tracks, events)
  document.getElementById('cameras').append(root)
  c = { root, img, overlay, fields, dets, geometry, tracks, events, shapes: null }
  img.addEventListener('load', () => draw(c))
  cards.set(name, c)
  return c
}
// Zones in these colours, lines in LINE_COLOUR with an arrow towards their "in" side, masks
// shaded: none of them is a box colour of the frame (service/annotate.ts PALETTE).
const ZONE_COLOURS = ['#00c8ff', '#ffe600', '#7cff9a', '#ff9de6']
const LINE_COLOUR = '#ff007f'
function draw(c) {
  const g = c.shapes
  const cv = c.overlay
  const w = c.img.clientWidth
  const h = c.img.clientHeight
  if (!g || !w || !h) return
  cv.width = w
  cv.height = h
  const ctx = cv.getContext('2d')
  ctx.clearRect(0, 0, w, h)
  ctx.lineWidth = 3
  ctx.font = '12px sans-serif'
  const path = (pts) => { ctx.beginPath(); pts.forEach(([x, y], i) => i ? ctx.lineTo(x * w, y * h) : ctx.moveTo(x * w, y * h)); ctx.closePath() }
  for (const m of g.masks) { path(m); ctx.fillStyle = 'rgba(0,0,0,0.45)'; ctx.fill(); ctx.strokeStyle = '#999'; ctx.stroke() }
  Object.entries(g.zones).forEach(([name, z], i) => {
    const colour = ZONE_COLOURS[i % ZONE_COLOURS.length]
    path(z.points); ctx.fillStyle = colour + '33'; ctx.fill(); ctx.strokeStyle = colour; ctx.stroke()
    ctx.fillStyle = colour
    ctx.fillText(name + ': ' + (z.counts ? z.counts.all : 0), z.points[0][0] * w + 4, z.points[0][1] * h + 14)
  })
  for (const [name, l] of Object.entries(g.lines)) {
    const [[x1, y1], [x2, y2]] = l.points.map(([x, y]) => [x * w, y * h])
    ctx.strokeStyle = LINE_COLOUR; ctx.fillStyle = LINE_COLOUR
    ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x2, y2); ctx.stroke()
    // "in" goes from the line's negative side to its positive side: the sign of
    // (x2-x1)(y-y1) - (y2-y1)(x-x1), y down. The arrow points that way from the middle.
    const len = Math.hypot(x2 - x1, y2 - y1) || 1
    const nx = -(y2 - y1) / len
    const ny = (x2 - x1) / len
    const mx = (x1 + x2) / 2
    const my = (y1 + y2) / 2
    const tx = mx + nx * 24
    const ty = my + ny * 24
    ctx.beginPath(); ctx.moveTo(mx - nx * 12, my - ny * 12); ctx.lineTo(tx, ty); ctx.stroke()
    ctx.beginPath(); ctx.moveTo(tx, ty); ctx.lineTo(tx - nx * 8 + ny * 6, ty - ny * 8 - nx * 6); ctx.lineTo(tx - nx * 8 - ny * 6, ty - ny * 8 + nx * 6); ctx.closePath(); ctx.fill()
    ctx.fillText(name + ' in ' + l.in + ' / out ' + l.out, tx + 4, ty)
  }
}
function geometryText(g) {
  if (!g) return ''
  const lines = []
  for (const [name, z] of Object.entries(g.zones)) lines.push('zone ' + name + ': ' + Object.entries(z.counts || {}).filter(([k, v]) => k === 'all' || v > 0).map(([k, v]) => k + ' ' + v).join(', '))
  for (const [name, l] of Object.entries(g.lines)) lines.push('line ' + name + ': in ' + l.in + ', out ' + l.out)
  if (g.masks.length) lines.push(g.masks.length + ' mask(s); filtered: mask ' + g.filtered.mask + ', score ' + g.filtered.score + ', area ' + g.filtered.area)
  return lines.join('\\n')
}
function showEvents(c, list) {
  const key = list.map((e) => e.id + (e.snapshot ? e.snapshot.ts : '')).join()
  if (c.eventsKey === key) return
  c.eventsKey = key
  c.events.replaceChildren()
  for (const e of list) {
    const fig = document.createElement('figure')
    if (e.snapshot) {
      const im = document.createElement('img')
      im.src = e.snapshot.url + '?t=' + e.snapshot.ts
      im.alt = e.label
      fig.append(im)
    }
    const cap = document.createElement('figcaption')
    cap.textContent = e.label + ' ' + new Date(e.start_ts).toLocaleTimeString() + (e.end_ts === null ? ' (active)' : '')
    fig.append(cap)
    c.events.append(fig)
  }
}
async function refresh() {
  try {
    const [s, h] = await Promise.all([
      fetch('/api/status').then((r) => r.json()),
      fetch('/healthz').then((r) => r.json()),
    ])
    text(document.getElementById('device'), s.device)
    const he = document.getElementById('health')
    he.textContent = h.healthy ? 'ok' : 'unhealthy: ' + h.reasons.join('; ')
    he.className = h.healthy ? 'ok' : 'bad'
    text(document.getElementById('model'), s.model && s.model.name)
    text(document.getElementById('ep'), s.model && s.model.provider)
    text(document.getElementById('latency'), s.inference ? s.inference.p50_ms.toFixed(1) + ' ms p50, ' + s.inference.p99_ms.toFixed(1) + ' ms p99' : null)
    text(document.getElementById('backlog'), s.outbox && s.outbox.backlog)
    text(document.getElementById('mqtt'), s.mqtt ? (s.mqtt.connected ? 'connected' : 'disconnected') : 'off')
    text(document.getElementById('updated'), 'updated ' + new Date().toLocaleTimeString())
    for (const [name, cam] of Object.entries(s.cameras)) {
      const c = card(name)
      text(c.fields.state, cam.state)
      c.fields.state.className = cam.state === 'streaming' ? 'ok' : 'bad'
      text(c.fields.fps, cam.fps_in.toFixed(1) + ' / ' + cam.fps.toFixed(1))
      text(c.fields.latency, cam.latency_ms === null ? null : cam.latency_ms.toFixed(0) + ' ms')
      text(c.fields.frames, cam.frames.received + ' / ' + cam.frames.processed + ' / ' + cam.frames.dropped)
      text(c.fields.restarts, cam.restarts)
      text(c.fields.error, cam.last_error)
      const objs = (cam.latest && cam.latest.objects) || []
      c.dets.textContent = objs.length === 0 ? 'no detections in the latest frame'
        : objs.map((o) => o.label + ' ' + o.score.toFixed(2) + ' [' + o.box.map(Math.round).join(', ') + ']').join('\\n')
      if (cam.latest) c.img.src = '/cameras/' + encodeURIComponent(name) + '/latest.jpg?seq=' + cam.latest.frame_seq
      const g = s.analytics && s.analytics.cameras[name]
      c.shapes = g || null
      c.geometry.textContent = geometryText(g)
      draw(c)
      const o = s.objects && s.objects.cameras[name]
      const tracks = (o && o.tracks) || []
      c.tracks.textContent = tracks.length === 0 ? '' : 'tracking: ' + tracks.map((tr) => '#' + tr.track + ' ' + tr.label + (tr.stationary ? ' (still)' : '')).join(', ')
      showEvents(c, (o && o.latest) || [])
    }
    for (const [name, c] of cards) if (!(name in s.cameras)) { c.root.remove(); cards.delete(name) }
  } catch (err) {
    const he = document.getElementById('health')
    he.textContent = 'daemon not reachable (' + err.message + ')'
    he.className = 'bad'
  }
}
refresh()
setInterval(refresh, 2000)
</script>
</body>
</html>
`
