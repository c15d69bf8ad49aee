// The status page at `/`: plain HTML and JS served as one string, no build step. It
// polls /api/status every 2 s and reloads each camera's latest.jpg. Values from the
// daemon go in with textContent only (error texts are free-form).
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
  .cam img { width: 100%; background: #222; min-height: 120px; display: block; }
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
  const img = document.createElement('img')
  img.alt = 'latest processed frame of ' + name
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
  root.append(h, img, dl, dets)
  document.getElementById('cameras').append(root)
  c = { root, img, fields, dets }
  cards.set(name, c)
  return c
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
