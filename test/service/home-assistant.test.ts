// Home Assistant discovery, checked the way Home Assistant reads it: every retained config
// under homeassistant/ is valid JSON with the keys its component requires (Home Assistant's
// MQTT sensor, binary_sensor and image docs), names an availability topic and a device,
// and every state or image topic it names really receives values that agree with the
// counts. Home Assistant's birth message gets the configs again; a reload that removes a
// zone removes its entities (empty retained config).
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import mqtt from 'mqtt'
import { BIN, REPO } from '../harness/cli.js'
import { startMosquitto } from '../harness/mosquitto.js'
import { startRtspServer } from '../harness/rtsp-server.js'
import { startProcess, waitForOutput } from '../harness/process.js'
import { tempDir } from '../harness/tmp.js'
import { freePort } from '../harness/ports.js'
import { FIXTURE_MODEL, getJson, waitFor } from './daemon-harness.js'

const REQUIRED: Record<string, string[]> = {
  sensor: ['state_topic'],
  binary_sensor: ['state_topic'],
  image: ['image_topic'],
}

/** Evaluates the two template shapes edgewatch uses, as Home Assistant would. */
function render(template: string, value: Record<string, number>): string {
  let m = /^\{\{ value_json\['([^']+)'\] \}\}$/.exec(template)
  if (m) return String(value[m[1]!])
  m = /^\{\{ 'ON' if value_json\['([^']+)'\] > 0 else 'OFF' \}\}$/.exec(template)
  if (m) return (value[m[1]!] ?? 0) > 0 ? 'ON' : 'OFF'
  throw new Error(`template not understood: ${template}`)
}

t.test('Home Assistant: valid configs, live state topics, birth, removal on reload', async (t) => {
  const dir = tempDir(t)
  const broker = await startMosquitto(t)
  const rtsp = await startRtspServer(t, { mounts: { '/gate': 'testsrc' } })
  const port = await freePort()
  const configs = new Map<string, string>()
  const states = new Map<string, Buffer>()
  let configMessages = 0
  const ha = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })
  t.teardown(() => ha.endAsync(true))
  ha.on('message', (topic, payload) => {
    if (topic.startsWith('homeassistant/')) {
      configs.set(topic, payload.toString())
      configMessages++
    } else states.set(topic, payload)
  })
  await ha.subscribeAsync('homeassistant/#', { qos: 1 })

  const file = path.join(dir, 'config.yaml')
  const write = (withZone: boolean) =>
    fs.writeFileSync(
      file,
      [
        'device: { id: ha1 }',
        `model: { path: ${FIXTURE_MODEL}, format: yolov5, labels: [person, car, dog], providers: [cpu], threads: 1 }`,
        'detect: { max_fps: 5 }',
        'track: { min_hits: 1 }',
        'cameras:',
        '  gate:',
        `    url: "${rtsp.url('/gate')}"`,
        ...(withZone ? ['    zones: { yard: { points: [[0, 0], [1, 0], [1, 1], [0, 1]] } }'] : []),
        '    lines: { door: { points: [[0.5, 0], [0.5, 1]] } }',
        `storage: { path: ${path.join(dir, 'ha.db')} }`,
        `mqtt: { url: "${broker.url}", discovery: { enabled: true } }`,
        `http: { listen: "127.0.0.1:${port}" }`,
      ].join('\n') + '\n',
    )
  write(true)
  const daemon = startProcess(process.execPath, [BIN, 'run', '--config', file], { cwd: REPO })
  t.teardown(() => daemon.kill('SIGKILL'))
  await waitForOutput(daemon, (o) => o.includes('"msg":"ready"'), 120_000)
  await waitFor('discovery configs', () => configs.size > 10, 30_000)

  // Every config as Home Assistant validates it.
  const docs = [...configs.entries()]
    .filter(([, p]) => p !== '')
    .map(([topic, p]) => ({ topic, doc: JSON.parse(p) as Record<string, unknown> }))
  const ids = new Set<string>()
  const watched = new Set<string>()
  for (const { topic, doc } of docs) {
    const component = topic.split('/')[1]!
    t.ok(component in REQUIRED, `${topic}: a component edgewatch announces`)
    for (const key of REQUIRED[component] ?? []) t.type(doc[key], 'string', `${topic}: ${key}`)
    t.type(doc.unique_id, 'string', `${topic}: unique_id`)
    t.notOk(ids.has(doc.unique_id as string), `${topic}: unique_id is unique`)
    ids.add(doc.unique_id as string)
    const device = doc.device as { identifiers?: unknown[]; via_device?: string }
    t.ok(Array.isArray(device?.identifiers) && device.identifiers.length > 0, `${topic}: device identifiers`)
    watched.add((doc.state_topic ?? doc.image_topic) as string)
  }
  t.ok(
    docs.some((d) => d.topic.includes('_zone_yard_count')),
    'a count sensor for the zone',
  )
  t.ok(
    docs.some((d) => d.topic === 'homeassistant/image/edgewatch_ha1/gate_snapshot/config'),
    'an image for the latest snapshot',
  )
  t.ok(
    docs.filter((d) => (d.doc.device as { via_device?: string }).via_device === 'edgewatch_ha1').length > 5,
    'camera entities hang off the edgewatch device (via_device)',
  )
  await ha.subscribeAsync([...watched], { qos: 1 })
  await waitFor(
    'a value on every state and image topic',
    () => [...watched].every((w) => states.has(w)),
    60_000,
  )

  // The values agree with the counts: the templates read what the daemon reports.
  const status = await getJson(`http://127.0.0.1:${port}/api/status`)
  await waitFor(
    'objects counted',
    async () => (await getJson(`http://127.0.0.1:${port}/api/status`)).objects.cameras.gate.counts.all > 0,
    30_000,
  )
  for (const { topic, doc } of docs) {
    if (typeof doc.value_template !== 'string') continue
    const state = states.get(doc.state_topic as string)!
    if (doc.state_topic === 'edgewatch/ha1/status') continue
    const rendered = render(doc.value_template, JSON.parse(state.toString()) as Record<string, number>)
    t.match(rendered, /^(\d+|ON|OFF)$/, `${topic}: renders ${rendered}`)
  }
  const counts = JSON.parse(states.get('edgewatch/ha1/gate/counts')!.toString()) as Record<string, number>
  const occ = docs.find(
    (d) => d.topic === 'homeassistant/binary_sensor/edgewatch_ha1/gate_all_occupancy/config',
  )!
  t.equal(
    render(occ.doc.value_template as string, counts),
    counts.all! > 0 ? 'ON' : 'OFF',
    'occupancy agrees with the count',
  )
  t.ok(status.objects, 'the daemon reports objects')
  const jpeg = states.get('edgewatch/ha1/gate/snapshot')!
  t.same([...jpeg.subarray(0, 2)], [0xff, 0xd8], 'the image topic carries a JPEG')

  // Home Assistant restarts: its birth message gets the configs again.
  const before = configMessages
  await ha.publishAsync('homeassistant/status', 'online')
  await waitFor('configs again after the birth message', () => configMessages >= before + docs.length, 15_000)

  // A reload removes the zone: its entities get an empty retained config.
  write(false)
  const r = await (
    await fetch(`http://127.0.0.1:${port}/api/reload`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    })
  ).json()
  t.ok((r as { ok: boolean }).ok, JSON.stringify(r))
  await waitFor(
    'the zone entities removed',
    () =>
      [...configs.entries()].filter(([topic]) => topic.includes('_zone_yard_')).every(([, p]) => p === ''),
    15_000,
  )
  t.ok(
    [...configs.entries()].some(([topic, p]) => topic.includes('_line_door_in') && p !== ''),
    'the line entities stay',
  )
})
