// The status page at `/`, in a real headless Chromium (Debian's package, driven by
// playwright-core): with the daemon running the default model on a real RTSP camera, the
// page shows the camera streaming, its fps and its annotated frame, and a screenshot of
// that frame holds real picture content with the detection boxes drawn in; the camera's
// zone and line are drawn over it where the config puts them.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import jpeg from 'jpeg-js'
import { chromium } from 'playwright-core'
import { BIN, REPO } from '../harness/cli.js'
import { startMosquitto } from '../harness/mosquitto.js'
import { startRtspServer } from '../harness/rtsp-server.js'
import { startProcess, waitForOutput } from '../harness/process.js'
import { freePort } from '../harness/ports.js'
import { tempDir } from '../harness/tmp.js'
import { PALETTE } from '../../src/service/annotate.js'

const CHROMIUM = '/usr/bin/chromium'
const ZONE = [
  [0.05, 0.05],
  [0.4, 0.05],
  [0.4, 0.4],
  [0.05, 0.4],
]
const LINE = [
  [0.7, 0.1],
  [0.7, 0.9],
]
// The page's colours for the first zone and for lines (service/status-page.ts).
const ZONE_RGB = [0x00, 0xc8, 0xff]
const LINE_RGB = [0xff, 0x00, 0x7f]
const CLIP = path.join(REPO, 'models', 'clip', 'shapes-clip.mp4')
// The flags this workplace's closed network needs (no background connections).
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

t.test(
  'status page shows the live annotated stream',
  { skip: !fs.existsSync(CHROMIUM) && 'no /usr/bin/chromium (Debian package chromium)' },
  async (t) => {
    const dir = tempDir(t)
    const broker = await startMosquitto(t)
    const rtsp = await startRtspServer(t, { mounts: { '/shapes': `file:${CLIP}` } })
    const port = await freePort()
    const config = path.join(dir, 'config.yaml')
    fs.writeFileSync(
      config,
      [
        'device: { id: page-test }',
        'cameras:',
        '  entrance:',
        `    url: "${rtsp.url('/shapes')}"`,
        '    max_fps: 5',
        `    zones: { porch: { points: ${JSON.stringify(ZONE)} } }`,
        `    lines: { door: { points: ${JSON.stringify(LINE)} } }`,
        `storage: { path: "${path.join(dir, 'db.sqlite')}" }`,
        `mqtt: { url: "${broker.url}" }`,
        `http: { listen: "127.0.0.1:${port}" }`,
      ].join('\n') + '\n',
    )
    const daemon = startProcess(process.execPath, [BIN, 'run', '--config', config], { cwd: REPO })
    t.teardown(() => daemon.kill('SIGKILL'))
    await waitForOutput(daemon, (o) => o.includes('"msg":"ready"'), 120_000)

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
    t.teardown(() => browser.close())
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } })
    await page.goto(`http://127.0.0.1:${port}/`)
    const card = page.locator('section.cam', { hasText: 'entrance' })
    await card.waitFor({ timeout: 60_000 })
    // Wait until the camera streams and an annotated frame with detections is on the page.
    // (A string, evaluated in the page: this test file has no DOM types.)
    await page.waitForFunction(
      `(() => {
      const img = document.querySelector('section.cam img')
      const dets = document.querySelector('section.cam .dets')?.textContent ?? ''
      return !!img && img.complete && img.naturalWidth > 0 && /\\d\\.\\d\\d \\[/.test(dets)
    })()`,
      undefined,
      { timeout: 90_000, polling: 500 },
    )
    const text = await card.innerText()
    t.match(text, /streaming/, 'camera state shown')
    t.match(text, /\d+\.\d \/ \d+\.\d/, 'fps in / processed shown')
    t.match(await page.locator('header').innerText(), /cpu/, 'execution provider shown')

    // The page swaps the image every 2 s; take the frame's screenshot when one is fully
    // loaded, and look again (bounded) if it caught a swap.
    const analyse = (shot: Buffer) => {
      const img = jpeg.decode(shot, { useTArray: true })
      const colours = new Set<number>()
      let boxPixels = 0
      for (let i = 0; i < img.data.length; i += 4) {
        const r = img.data[i]!
        const g = img.data[i + 1]!
        const b = img.data[i + 2]!
        colours.add(((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3))
        // Pixels close to one of the box colours (JPEG blurs them a little).
        if (
          PALETTE.slice(0, 5).some(
            ([pr, pg, pb]) => Math.abs(r - pr) + Math.abs(g - pg) + Math.abs(b - pb) < 60,
          )
        )
          boxPixels++
      }
      return { width: img.width, height: img.height, colours: colours.size, boxPixels }
    }
    let found = { width: 0, height: 0, colours: 0, boxPixels: 0 }
    for (let attempt = 0; attempt < 20; attempt++) {
      await page.waitForFunction(
        `(() => { const i = document.querySelector('section.cam img'); return i && i.complete && i.naturalWidth > 0 })()`,
      )
      const shot = await card.locator('.frame img').screenshot({ type: 'jpeg', quality: 95 })
      found = analyse(shot)
      if (found.colours > 500 && found.boxPixels > 200) {
        fs.writeFileSync(path.join(dir, 'status-page-frame.jpg'), shot)
        break
      }
      await new Promise((r) => setTimeout(r, 500))
    }
    // The zone's outline and the line, in their colours, where the config puts them.
    const frameShot = await card.locator('.frame').screenshot({ type: 'jpeg', quality: 100 })
    fs.writeFileSync(path.join(dir, 'status-page-overlay.jpg'), frameShot)
    const overlay = jpeg.decode(frameShot, {
      useTArray: true,
    })
    const near = (x: number, y: number, rgb: number[]) => {
      for (let dy = -3; dy <= 3; dy++)
        for (let dx = -3; dx <= 3; dx++) {
          const px = Math.round(x) + dx
          const py = Math.round(y) + dy
          if (px < 0 || py < 0 || px >= overlay.width || py >= overlay.height) continue
          const i = (py * overlay.width + px) * 4
          const d = overlay.data
          // JPEG keeps colour at half resolution: a 3 px line of a saturated colour comes
          // out paler, so the match is loose (the frame itself has no such colours).
          if (Math.abs(d[i]! - rgb[0]!) + Math.abs(d[i + 1]! - rgb[1]!) + Math.abs(d[i + 2]! - rgb[2]!) < 110)
            return true
        }
      return false
    }
    const W = overlay.width
    const H = overlay.height
    const zoneEdges = [
      [0.2, 0.05],
      [0.4, 0.2],
      [0.2, 0.4],
      [0.05, 0.3],
    ].filter(([x, y]) => near(x! * W, y! * H, ZONE_RGB))
    t.equal(zoneEdges.length, 4, 'the zone outline is drawn on all four sides')
    t.notOk(near(0.55 * W, 0.6 * H, ZONE_RGB), 'and not where there is no zone')
    const lineAt = [0.3, 0.5, 0.8].filter((y) => near(0.7 * W, y * H, LINE_RGB))
    t.equal(lineAt.length, 3, 'the line is drawn along its length')
    t.match(
      await card.innerText(),
      /zone porch: all \d+[\s\S]*line door: in \d+, out \d+/,
      'with their counts',
    )
    const full = await page.screenshot({ type: 'png' })
    t.ok(full.length > 10_000, 'page screenshot taken')
    t.ok(found.width > 200 && found.height > 100, `frame is ${found.width}x${found.height}`)
    t.ok(found.colours > 500, `${found.colours} distinct colours in the frame`)
    t.ok(found.boxPixels > 200, `${found.boxPixels} pixels in the colours of drawn boxes`)
  },
)
