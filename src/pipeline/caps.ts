// Reading the few fields edgewatch needs out of GStreamer caps strings, as they appear
// in GDP caps packets and in `gst-launch-1.0 -v` notify lines:
//   video/x-raw, format=(string)RGB, width=(int)416, height=(int)234, framerate=(fraction)5/1, ...

export interface VideoCaps {
  media: string
  format: string | null
  width: number
  height: number
  /** Frames per second, null when variable (0/1) or absent. */
  fps: number | null
}

export function parseVideoCaps(caps: string): VideoCaps | null {
  const media = caps.split(',', 1)[0]!.trim()
  const width = intField(caps, 'width')
  const height = intField(caps, 'height')
  if (!media.startsWith('video/') || width === null || height === null) return null
  const fmt = /\bformat=\(string\)([A-Za-z0-9_]+)/.exec(caps)
  const fr = /\bframerate=\(fraction\)(\d+)\/(\d+)/.exec(caps)
  const num = fr ? Number(fr[1]) : 0
  const den = fr ? Number(fr[2]) : 0
  return { media, format: fmt ? fmt[1]! : null, width, height, fps: num > 0 && den > 0 ? num / den : null }
}

function intField(caps: string, name: string): number | null {
  const m = new RegExp(`\\b${name}=\\(int\\)(\\d+)`).exec(caps)
  return m ? Number(m[1]) : null
}

/** Name of the element whose sink caps carry the decoded, not yet scaled, frame size. */
export const SOURCE_CAPS_ELEMENT = 'ewsource'

/**
 * The source frame size from a `gst-launch-1.0 -v` line for the sink pad of the element
 * named SOURCE_CAPS_ELEMENT (placed right after the decoder), or null for other lines.
 */
export function sourceCapsFromVerboseLine(line: string): VideoCaps | null {
  const marker = `:${SOURCE_CAPS_ELEMENT}.GstPad:sink: caps = `
  const i = line.indexOf(marker)
  if (i < 0) return null
  return parseVideoCaps(line.slice(i + marker.length))
}

/** GStreamer pads video rows to 4 bytes: the stride of one RGB row. */
export function rgbStride(width: number): number {
  return (width * 3 + 3) & ~3
}
