// Static checks of a camera's source (url or custom pipeline) that need no GStreamer.
// The pipeline module turns a valid source into a gst-launch description.
import type { CameraConfig } from './schema.js'
import type { ConfigProblem } from './errors.js'

export const SOURCE_SCHEMES = ['rtsp:', 'rtsps:', 'file:', 'v4l2:'] as const

export function checkCameraSource(cam: CameraConfig): ConfigProblem[] {
  const out: ConfigProblem[] = []
  if (cam.url === undefined && cam.pipeline === undefined) {
    out.push({ path: 'url', message: 'required: set url (rtsp://, file://, v4l2://) or pipeline' })
    return out
  }
  if (cam.url !== undefined && cam.pipeline !== undefined) {
    out.push({ path: 'pipeline', message: 'set either url or pipeline, not both' })
  }
  if (cam.url !== undefined) {
    let u: URL | null = null
    try {
      u = new URL(cam.url)
    } catch {
      out.push({ path: 'url', message: 'not a valid URL' })
    }
    if (u) {
      if (!(SOURCE_SCHEMES as readonly string[]).includes(u.protocol)) {
        out.push({
          path: 'url',
          message: `unsupported scheme "${u.protocol.replace(/:$/, '')}" (expected rtsp, rtsps, file or v4l2)`,
        })
      } else if ((u.protocol === 'rtsp:' || u.protocol === 'rtsps:') && u.hostname === '') {
        out.push({ path: 'url', message: 'RTSP URL has no host' })
      } else if (
        (u.protocol === 'file:' || u.protocol === 'v4l2:') &&
        (u.pathname === '' || u.pathname === '/')
      ) {
        out.push({
          path: 'url',
          message: `${u.protocol}// URL needs an absolute path, e.g. ${u.protocol}///dev/video0`,
        })
      }
      if (u.username !== '' && u.password === '' && u.protocol.startsWith('rtsp')) {
        out.push({ path: 'url', message: 'RTSP URL has a user but no password' })
      }
    }
  }
  if (cam.pipeline !== undefined && /(^|!)\s*(fdsink|appsink|filesink|autovideosink)\b/.test(cam.pipeline)) {
    out.push({ path: 'pipeline', message: 'custom pipeline must end in a source of raw video, not a sink' })
  }
  return out
}
