// Which video decoder family a camera uses. Hardware families are detected once per
// manager start with `gst-inspect-1.0 --exists`; CPU (libav's avdec_*) is always there.
import { execFile } from 'node:child_process'
import { childEnv } from './child-env.js'

export type VideoDecoderFamily = 'nvv4l2' | 'vaapi' | 'v4l2' | 'cpu'
export type VideoDecoderSetting = 'auto' | VideoDecoderFamily

/** Elements that must all exist for a family, with alternatives per slot (first found wins). */
const FAMILY_ELEMENTS: Record<Exclude<VideoDecoderFamily, 'cpu'>, string[][]> = {
  // Jetson (JetPack): NVIDIA's V4L2 decoder and its converter/scaler.
  nvv4l2: [['nvv4l2decoder'], ['nvvidconv']],
  // Intel/AMD: the newer `va` plugin first, the older gstreamer-vaapi second.
  vaapi: [['vah264dec', 'vaapih264dec']],
  // Stateless V4L2 decoders (Rockchip, Allwinner, i.MX8, RPi 5 HEVC).
  v4l2: [['v4l2slh264dec']],
}

/** Preference order for `decoder: auto`. */
const AUTO_ORDER: VideoDecoderFamily[] = ['nvv4l2', 'vaapi', 'v4l2']

export interface VideoDecoderInventory {
  /** Found families, each with the elements that will be used. */
  families: Partial<Record<VideoDecoderFamily, string[]>>
}

export type ElementExists = (element: string) => Promise<boolean>

/** `gst-inspect-1.0 --exists NAME` exits 0 when the element is installed. */
export function gstInspectExists(element: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      'gst-inspect-1.0',
      ['--exists', element],
      { timeout: 10_000, env: childEnv(process.env) },
      (err) => resolve(err === null),
    )
  })
}

export async function detectVideoDecoders(
  exists: ElementExists = gstInspectExists,
): Promise<VideoDecoderInventory> {
  const families: VideoDecoderInventory['families'] = { cpu: ['avdec_h264', 'avdec_h265'] }
  for (const [family, slots] of Object.entries(FAMILY_ELEMENTS) as [VideoDecoderFamily, string[][]][]) {
    const chosen: string[] = []
    for (const alternatives of slots) {
      let found: string | null = null
      for (const el of alternatives) {
        if (await exists(el)) {
          found = el
          break
        }
      }
      if (found === null) break
      chosen.push(found)
    }
    if (chosen.length === slots.length) families[family] = chosen
  }
  return { families }
}

export interface VideoDecoderChoice {
  family: VideoDecoderFamily
  /** For status and `check --probe`, e.g. "vaapi (vah264dec)" or "cpu (avdec, vaapi not found)". */
  label: string
  /** Elements of the family (e.g. ['vah264dec']) for the pipeline builder. */
  elements: string[]
}

export function chooseVideoDecoder(
  setting: VideoDecoderSetting,
  inv: VideoDecoderInventory,
): VideoDecoderChoice {
  const pick = (family: VideoDecoderFamily, note = ''): VideoDecoderChoice => {
    const elements = inv.families[family] ?? []
    const what = family === 'cpu' ? 'avdec' : elements.join(' + ')
    return { family, elements, label: `${family} (${what}${note})` }
  }
  if (setting === 'cpu') return pick('cpu')
  if (setting === 'auto') {
    for (const f of AUTO_ORDER) if (inv.families[f]) return pick(f)
    return pick('cpu')
  }
  if (inv.families[setting]) return pick(setting)
  return pick('cpu', `, ${setting} not found`)
}
