// End-to-end benchmark of the whole daemon (bin/edgewatch.js with the default model),
// fed by the project's RTSP server and files, publishing to a local mosquitto:
//   1. pure inference throughput (same model, threads and EP as the daemon);
//   2. one camera fed faster than the model keeps up: processed fps, ratio to (1);
//   3. capture-to-MQTT-receipt latency at a rate the model sustains;
//   4. event-loop lag p99 under saturation;
//   5. memory: daemon RSS (main thread + inference worker) and per GStreamer child;
//   6. 1, 2 and 4 cameras: total processed fps and fairness (min/max per camera).
// Each figure is the median of several runs. Runs only on loopback.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import mqtt from 'mqtt'
import { APP_ROOT, BUNDLED_MODEL } from '../config/load.js'
import { encodeMp4, startMosquitto, startRtspServer, type Service } from './services.js'
import { Daemon, sleep } from './bench-daemon.js'
import { daemonOrt, pureFps as measurePure } from './pure-inference.js'
import { median, percentile, type BenchFigure, type BenchOptions, type BenchRunner } from './types.js'

const CLIP = path.join(APP_ROOT, 'models', 'clip', 'shapes-clip.mp4')

const base = (brokerUrl: string, emptyFrames = false) => [
  'device: { id: bench }',
  `mqtt: { url: "${brokerUrl}", publish_empty_frames: ${emptyFrames} }`,
]

/**
 * A 640×480 H.264 clip at `fps`, for a camera that delivers faster than the model runs.
 * (Decoding a file flat out instead would make the decoder, not the model, compete for
 * the same cores, which is not what a camera does.)
 */
function fastClip(dir: string, fps: number): string {
  return encodeMp4(path.join(dir, `fast-${fps}.mp4`), [
    'videotestsrc',
    'pattern=ball',
    `num-buffers=${fps * 10}`,
    '!',
    `video/x-raw,width=640,height=480,framerate=${fps}/1`,
    '!',
    'x264enc',
    'speed-preset=veryfast',
    `key-int-max=${fps}`,
  ])
}

/** (2)+(4) One camera delivering 60 fps (faster than the model keeps up). */
async function saturated(dir: string, broker: Service, clip: string, seconds: number) {
  const d = new Daemon(dir, [
    ...base(broker.url),
    'detect: { max_fps: 240 }',
    'cameras:',
    `  clip: { url: "file://${clip}", loop: true, realtime: true, max_fps: 240 }`,
  ])
  await d.start()
  try {
    await d.waitStreaming(['clip'])
    const { fps, status } = await d.measure(seconds)
    return {
      fps: fps.clip ?? 0,
      loopP99: status.event_loop.p99_ms,
      fpsIn: status.cameras.clip?.frames.received ?? 0,
    }
  } finally {
    await d.stop()
  }
}

/** (3) Capture (payload ts) to receipt by a subscriber, at a camera rate the model sustains. */
async function latency(dir: string, broker: Service, rtsp: Service, fps: number, seconds: number) {
  const sub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })
  const lat: number[] = []
  let inference: number[] = []
  sub.on('message', (_t, payload) => {
    const m = JSON.parse(payload.toString()) as { ts: number; inference_ms: number }
    lat.push(Date.now() - m.ts)
    inference.push(m.inference_ms)
  })
  await sub.subscribeAsync('edgewatch/bench/+/detections', { qos: 1 })
  const d = new Daemon(dir, [
    ...base(broker.url, true),
    `detect: { max_fps: ${fps} }`,
    'cameras:',
    `  live: { url: "${rtsp.url}/loop" }`,
  ])
  await d.start()
  try {
    await d.waitStreaming(['live'])
    lat.length = 0
    inference = []
    await sleep(seconds * 1000)
  } finally {
    await d.stop()
    await sub.endAsync()
  }
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), inferenceMs: median(inference), n: lat.length }
}

/** (5)+(6) N RTSP cameras at the clip's 15 fps: processed fps per camera and memory. */
async function cameras(dir: string, broker: Service, rtsp: Service, n: number, seconds: number) {
  const names = Array.from({ length: n }, (_, i) => `cam${i + 1}`)
  const d = new Daemon(dir, [
    ...base(broker.url),
    'detect: { max_fps: 15 }',
    'cameras:',
    ...names.map((c) => `  ${c}: { url: "${rtsp.url}/loop" }`),
  ])
  await d.start()
  try {
    await d.waitStreaming(names)
    const { fps } = await d.measure(seconds)
    const per = names.map((c) => fps[c] ?? 0)
    const mem = d.memory()
    return {
      total: per.reduce((a, b) => a + b, 0),
      fairness: Math.min(...per) / Math.max(...per),
      daemonMb: mem.daemonMb,
      childMb: median(mem.childrenMb),
    }
  } finally {
    await d.stop()
  }
}

export const run: BenchRunner = async ({ quick, log }: BenchOptions) => {
  if (!fs.existsSync(BUNDLED_MODEL)) throw new Error(`the default model ${BUNDLED_MODEL} is missing`)
  const runs = quick ? 1 : 3
  const secs = quick ? 6 : 10
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'edgewatch-bench-e2e-'))
  const broker = await startMosquitto(root)
  // One shared, looping, re-encoded live stream of the test clip at its 15 fps.
  const rtsp = await startRtspServer({ '/loop': `file:${CLIP}` })
  const fast = fastClip(root, 60)
  const figures: BenchFigure[] = []
  try {
    const pure: number[] = []
    const sat: { fps: number; loopP99: number }[] = []
    const lat: { p50: number; p99: number; inferenceMs: number }[] = []
    const cams: Record<number, { total: number; fairness: number; daemonMb: number; childMb: number }[]> = {
      1: [],
      2: [],
      4: [],
    }
    for (let i = 0; i < runs; i++) {
      const dir = (name: string) => fs.mkdtempSync(path.join(root, `${name}-`))
      pure.push(await measurePure(BUNDLED_MODEL, daemonOrt(BUNDLED_MODEL), quick ? 4 : 8))
      sat.push(await saturated(dir('sat'), broker, fast, secs))
      log(
        `e2e run ${i + 1}: pure ${pure.at(-1)!.toFixed(1)} fps, saturated ${sat.at(-1)!.fps.toFixed(1)} fps`,
      )
      lat.push(await latency(dir('lat'), broker, rtsp, 10, secs))
      log(`e2e run ${i + 1}: latency p50 ${lat.at(-1)!.p50.toFixed(0)} ms`)
      for (const n of [1, 2, 4]) cams[n]!.push(await cameras(dir(`cams${n}`), broker, rtsp, n, secs))
    }
    const pureFps = median(pure)
    const satFps = median(sat.map((s) => s.fps))
    const ratio = median(sat.map((s, i) => s.fps / pure[i]!))
    const inferMs = median(lat.map((l) => l.inferenceMs))
    const p50 = median(lat.map((l) => l.p50))
    figures.push(
      {
        name: '1. pure inference throughput (default model, CPU EP, 2 threads)',
        value: pureFps,
        unit: 'frames/s',
        runs: pure,
      },
      {
        name: '2. one 60 fps camera (faster than the model): processed',
        value: satFps,
        unit: 'frames/s',
        runs: sat.map((s) => s.fps),
      },
      {
        name: '2. ratio end-to-end ÷ pure inference (same run)',
        value: ratio,
        unit: '',
        goal: '≥ 0.85',
        met: ratio >= 0.85,
      },
      {
        name: '3. capture → MQTT receipt latency p50 (camera at 10 fps)',
        value: p50,
        unit: 'ms',
        runs: lat.map((l) => l.p50),
        goal: `≤ inference ms + 15 = ${(inferMs + 15).toFixed(1)} ms`,
        met: p50 <= inferMs + 15,
      },
      {
        name: '3. capture → MQTT receipt latency p99',
        value: median(lat.map((l) => l.p99)),
        unit: 'ms',
        runs: lat.map((l) => l.p99),
      },
      { name: '3. inference ms in those messages (median)', value: inferMs, unit: 'ms' },
      {
        name: '4. event-loop lag p99 under saturation',
        value: median(sat.map((s) => s.loopP99)),
        unit: 'ms',
        runs: sat.map((s) => s.loopP99),
        goal: '< 10 ms',
        met: median(sat.map((s) => s.loopP99)) < 10,
      },
    )
    const mem1 = median(cams[1]!.map((c) => c.daemonMb))
    const mem4 = median(cams[4]!.map((c) => c.daemonMb))
    figures.push(
      {
        name: '5. daemon RSS (main + worker), 1 camera',
        value: mem1,
        unit: 'MB',
        goal: '< 250 MB',
        met: mem1 < 250,
      },
      {
        name: '5. daemon RSS per extra camera ((4 cameras − 1) ÷ 3)',
        value: (mem4 - mem1) / 3,
        unit: 'MB',
        goal: '< 30 MB',
        met: (mem4 - mem1) / 3 < 30,
      },
      {
        name: '5. GStreamer child RSS (median per camera, 4 cameras)',
        value: median(cams[4]!.map((c) => c.childMb)),
        unit: 'MB',
      },
    )
    for (const n of [1, 2, 4]) {
      const c = cams[n]!
      const fair = median(c.map((x) => x.fairness))
      figures.push(
        {
          name: `6. ${n} camera(s) at 15 fps: total processed`,
          value: median(c.map((x) => x.total)),
          unit: 'frames/s',
          runs: c.map((x) => x.total),
        },
        {
          name: `6. ${n} camera(s): fairness min/max per camera`,
          value: fair,
          unit: '',
          goal: '≥ 0.8',
          met: fair >= 0.8,
        },
      )
    }
    return {
      id: 'e2e',
      title: 'End to end (daemon with the default model, RTSP/file cameras, local mosquitto)',
      figures,
      notes: [
        'Saturation: a file:// camera playing a generated 640×480 H.264 clip at 60 fps in real time (faster than the model), so the model is the bottleneck; processed fps from /api/status counter deltas; event-loop p99 from /api/status (the last 10 s window, inside the measuring window).',
        'Latency: a subscriber on the same machine takes receipt time − the payload ts (wall-clock capture time when the frame left the decoder); camera = the test clip re-streamed live at 15 fps, processed at max_fps 10.',
        'Memory: VmRSS of the daemon process (the inference worker is a thread of it) and of each gst-launch child; after the cameras streamed for the measuring window.',
        'The figures 7 (store + publish) are in the "Store and publish" section.',
      ],
    }
  } finally {
    await rtsp.stop()
    await broker.stop()
    fs.rmSync(root, { recursive: true, force: true })
  }
}
