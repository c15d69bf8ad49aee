// Builds the pipeline description (gst-launch syntax) of one camera:
//   <source> ! <decode> ! videorate name=ewsource (max_fps) [! <pace> ! leaky queue]
//     ! <scale name=ewgate + convert to fit> ! gdppay ! fdsink fd=3
//
// Frame credits (bin/edgewatch-gst-child.py, EDGEWATCH_FLOW): the daemon lets one frame
// per free slot through the gate, the scaler's sink pad, so a frame the model will not
// see is never scaled, converted to RGB, piped or parsed. A live source (and a file
// paced at real time) cannot wait: its leaky one-frame queue after the rate limiter keeps
// the decoder going and the gate drops what finds no credit (`flow: 'gate'`). A file read
// as fast as the model goes (`realtime: false`) waits at the gate instead (`'block'`):
// every frame of the file is decoded once and inferred once.
//
// Sizes: the source (pre-scale) size is read from `-v` notify lines of the sink pad of
// the element named `ewsource`, right after the decoder. Before it is known, the scaler's
// capsfilter gives ranges ([2,W] x [2,H], pixel-aspect-ratio=1/1): videoscale then
// fixates to the largest size that fits with the aspect kept (1920x1080 → 416x234) but
// never scales up. Once the source size is known the camera (camera.ts) restarts the
// child with the exact fitSize() only when that differs (small sources, or a resolution
// change to another aspect ratio); later restarts use the exact size from the start.
import type { CameraConfig } from '../config/schema.js'
import type { VideoDecoderChoice } from './video-decoders.js'
import { SOURCE_CAPS_ELEMENT } from './caps.js'

export interface DescribeOptions {
  maxFps: number
  target: { width: number; height: number }
  decoder: VideoDecoderChoice
  /** Exact output size (once the source size is known); otherwise ranges that fit the target. */
  scaleTo?: { width: number; height: number } | null
}

/**
 * The largest size with the source's aspect ratio that fits `target`, with even sides and
 * at least one side equal to the target's (sources smaller than the target are scaled up).
 */
export function fitSize(
  source: { width: number; height: number },
  target: { width: number; height: number },
): { width: number; height: number } {
  const scale = Math.min(target.width / source.width, target.height / source.height)
  const even = (v: number, max: number) => Math.max(2, Math.min(max, Math.round(v / 2) * 2))
  return {
    width: even(source.width * scale, target.width),
    height: even(source.height * scale, target.height),
  }
}

export interface PipelineSpec {
  /**
   * The pipeline description (args joined). Holds no camera credentials (see
   * `credentials`), but a custom `pipeline:` may: never log it unredacted.
   */
  description: string
  /** The description as gst-launch-1.0 arguments: one per element, property, caps or `!`. */
  args: string[]
  /** Extra environment for the child (decoder rank overrides). */
  env: Record<string, string>
  /**
   * RTSP credentials, which the child (bin/edgewatch-gst-child.py) gets in its environment
   * and sets on the element named RTSP_ELEMENT: set as properties, no quoting of a
   * password is involved, and the description stays free of them.
   */
  credentials: { user: string; password: string } | null
  kind: 'rtsp' | 'file' | 'v4l2' | 'custom'
  /** Files end; everything else is expected to run forever. */
  live: boolean
  /** What the gate does with a frame that finds no credit: drop it, or wait for one. */
  flow: 'gate' | 'block'
}

/** Name of the rtspsrc that receives the credentials (bin/edgewatch-gst-child.py). */
export const RTSP_ELEMENT = 'ewrtsp'
/** Name of the scaler, on whose sink pad frame credits are checked (bin/edgewatch-gst-child.py). */
export const GATE_ELEMENT = 'ewgate'

/** Quotes a property value for the gst-launch parser. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

/**
 * decodebin picks decoders by rank; raising the wanted family's elements to the maximum
 * rank (GST_PLUGIN_FEATURE_RANK, documented in GStreamer's running.html) selects it for
 * both H.264 and H.265 without knowing the codec before the stream starts.
 */
export function decoderRankEnv(decoder: VideoDecoderChoice): Record<string, string> {
  const byFamily: Record<string, string[]> = {
    cpu: ['avdec_h264', 'avdec_h265'],
    vaapi:
      decoder.elements[0] === 'vaapih264dec' ? ['vaapih264dec', 'vaapih265dec'] : ['vah264dec', 'vah265dec'],
    v4l2: ['v4l2slh264dec', 'v4l2slh265dec'],
  }
  const els = byFamily[decoder.family]
  return els ? { GST_PLUGIN_FEATURE_RANK: els.map((e) => `${e}:MAX`).join(',') } : {}
}

/** `key="value"`: one argument, quoted so gst-launch's parser takes the value verbatim. */
function prop(key: string, value: string): string {
  return `${key}=${quote(value)}`
}

export function sourceFor(cam: CameraConfig): {
  kind: PipelineSpec['kind']
  src: string[]
  live: boolean
  credentials?: PipelineSpec['credentials']
} {
  if (cam.pipeline !== undefined) return { kind: 'custom', src: splitDescription(cam.pipeline), live: true }
  const url = new URL(cam.url ?? '')
  switch (url.protocol) {
    case 'rtsp:':
    case 'rtsps:': {
      const user = decodeURIComponent(url.username)
      const password = decodeURIComponent(url.password)
      url.username = ''
      url.password = ''
      // Credentials go in rtspsrc's own properties, set by the child from its environment
      // (never its argv, which every local user can read), so the location GStreamer
      // repeats in its messages carries none either.
      return {
        kind: 'rtsp',
        live: true,
        credentials: user ? { user, password } : null,
        src: [
          'rtspsrc',
          ...(user ? [`name=${RTSP_ELEMENT}`] : []),
          prop('location', url.toString()),
          `protocols=${cam.transport}`,
          'latency=200',
          'drop-on-latency=true',
        ],
      }
    }
    case 'file:':
      return {
        kind: 'file',
        live: false,
        src: ['filesrc', prop('location', decodeURIComponent(url.pathname))],
      }
    case 'v4l2:':
      return { kind: 'v4l2', live: true, src: ['v4l2src', prop('device', decodeURIComponent(url.pathname))] }
    default:
      throw new Error(`unsupported camera URL scheme "${url.protocol}"`)
  }
}

export function describePipeline(cam: CameraConfig, opts: DescribeOptions): PipelineSpec {
  const { kind, src, live, credentials = null } = sourceFor(cam)
  const { width, height } = opts.target
  const rate = [
    'videorate',
    `name=${SOURCE_CAPS_ELEMENT}`,
    'drop-only=true',
    `max-rate=${Math.max(1, Math.round(opts.maxFps))}`,
  ]
  const fit = opts.scaleTo
    ? `width=${opts.scaleTo.width},height=${opts.scaleTo.height},pixel-aspect-ratio=1/1`
    : `width=[2,${width}],height=[2,${height}],pixel-aspect-ratio=1/1`
  // A file read flat out waits at the gate (the pipe's back-pressure does the same without
  // credits). Everything else runs on its own clock: a file at real time is paced before
  // the gate (clocksync, GStreamer 1.18+) since, behind a leaky queue, a synchronised sink
  // would no longer hold the decoder back.
  const flow: PipelineSpec['flow'] = kind === 'file' && !cam.realtime ? 'block' : 'gate'
  const pace = kind === 'file' && cam.realtime ? ['clocksync', '!'] : []
  const leaky =
    flow === 'gate'
      ? ['queue', 'leaky=downstream', 'max-size-buffers=1', 'max-size-bytes=0', 'max-size-time=0', '!']
      : []
  // async=false: the child pauses the pipeline around a loop's seek (bin/edgewatch-gst-child.py)
  // and must not wait there for a preroll frame the gate may hold back.
  const tail = ['gdppay', '!', 'fdsink', 'fd=3', 'sync=false', 'async=false']
  let decode: string[]
  let scale: string[]
  if (opts.decoder.family === 'nvv4l2') {
    // NVIDIA's documented Jetson chain (Accelerated GStreamer guide): parse, decode to NVMM
    // memory, scale/convert with nvvidconv to RGBA in system memory; videoconvert packs RGB.
    decode = kind === 'custom' ? [] : ['parsebin', '!', 'nvv4l2decoder', '!']
    scale = [
      'nvvidconv',
      `name=${GATE_ELEMENT}`,
      '!',
      `video/x-raw,format=RGBA,${fit}`,
      '!',
      'videoconvert',
      '!',
      'video/x-raw,format=RGB',
    ]
  } else {
    decode = kind === 'custom' ? [] : ['decodebin', '!']
    // Scale first, in the decoder's YUV, then convert the small frame to RGB: converting a
    // 1080p frame to RGB before scaling costs twice the CPU (docs/benchmarks.md).
    scale = ['videoscale', `name=${GATE_ELEMENT}`, '!', 'videoconvert', '!', `video/x-raw,format=RGB,${fit}`]
  }
  const args = [...src, '!', ...decode, ...rate, '!', ...pace, ...leaky, ...scale, '!', ...tail]
  return {
    description: args.join(' '),
    args,
    env: decoderRankEnv(opts.decoder),
    credentials,
    kind,
    live,
    flow,
  }
}

/**
 * A user's `pipeline:` fragment as gst-launch-1.0 arguments. gst-launch escapes the
 * spaces of each argument outside double quotes before parsing (gst_parse_launchv), so a
 * whole description in one argument is one token and a syntax error. Split it at spaces
 * outside double quotes, as a shell would; a backslash escapes the next character.
 */
export function splitDescription(description: string): string[] {
  const out: string[] = []
  let cur = ''
  let inQuotes = false
  for (let i = 0; i < description.length; i++) {
    const c = description[i]!
    if (c === '\\' && i + 1 < description.length) {
      // An escaped character (\" or \\) belongs to the token as written.
      cur += c + description[++i]!
      continue
    }
    if (c === '"') inQuotes = !inQuotes
    if (/\s/.test(c) && !inQuotes) {
      if (cur) out.push(cur)
      cur = ''
      continue
    }
    cur += c
  }
  if (cur) out.push(cur)
  return out
}
