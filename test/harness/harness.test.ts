// The harness itself: a real mosquitto passes a message, a real RTSP server streams
// H.264 that GStreamer can read, and both go away when asked.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import mqtt from 'mqtt'
import { startMosquitto } from './mosquitto.js'
import { startRtspServer } from './rtsp-server.js'
import { waitForPort } from './ports.js'

t.test('mosquitto round trip, stop and restart on the same port', async (t) => {
  const broker = await startMosquitto(t)
  const roundTrip = async () => {
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })
    await client.subscribeAsync('harness/#', { qos: 1 })
    const got = new Promise<string>((resolve) =>
      client.on('message', (_topic, payload) => resolve(payload.toString())),
    )
    await client.publishAsync('harness/x', 'hello', { qos: 1 })
    t.equal(await got, 'hello')
    await client.endAsync()
  }
  await roundTrip()
  await broker.stop()
  await t.rejects(waitForPort(broker.port, 300))
  await broker.start()
  await roundTrip()
})

t.test('RTSP server serves H.264 that gst-launch can decode', async (t) => {
  const server = await startRtspServer(t, { mounts: { '/cam': 'testsrc' }, width: 320, height: 240 })
  const r = spawnSync(
    'gst-launch-1.0',
    [
      '-q',
      'rtspsrc',
      `location=${server.url('/cam')}`,
      'protocols=tcp',
      '!',
      'rtph264depay',
      '!',
      'h264parse',
      '!',
      'avdec_h264',
      '!',
      'fakesink',
      'num-buffers=10',
    ],
    { encoding: 'utf8', timeout: 30_000 },
  )
  t.equal(r.status, 0, r.stderr)
})
