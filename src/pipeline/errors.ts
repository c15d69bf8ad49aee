// Turns what gst-launch-1.0 writes on stderr into short per-camera reasons. GStreamer's
// messages look like:
//   ERROR: from element /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0: Unauthorized
//   Additional debug info:
//   ../gst/rtsp/gstrtspsrc.c(6899): gst_rtspsrc_send (): /GstPipeline:...: Unauthorized (401)
import { redact } from '../log/redact.js'

export interface CameraFault {
  /** Short human reason, credentials redacted. */
  reason: string
  /** Permanent faults (bad credentials, path, no video) retry only at the backoff cap. */
  permanent: boolean
  /** The host may be down: poll its TCP port during backoff to come back fast. */
  unreachable: boolean
  /** The TCP connection itself was refused or failed (the port was closed just now). */
  refused?: boolean
}

interface Rule {
  test: RegExp
  reason: string
  permanent?: boolean
  unreachable?: boolean
  refused?: boolean
}

const RULES: Rule[] = [
  {
    test: /GStreamer for python3 is missing/,
    reason: 'python3-gi or gir1.2-gstreamer-1.0 is missing: apt-get install python3-gi gir1.2-gstreamer-1.0',
    permanent: true,
  },
  {
    test: /Unauthorized|\b401\b/,
    reason: 'unauthorized (401): check the user and password in the URL',
    permanent: true,
  },
  {
    test: /Not Found|Not found|\b404\b/,
    reason: 'not found (404): check the stream path in the URL',
    permanent: true,
  },
  {
    test: /not-linked|no suitable plugins|Delayed linking failed/,
    reason: 'no video in the stream (nothing to decode into a picture)',
    permanent: true,
  },
  {
    test: /missing plugin|Missing decoder|No decoder available/i,
    reason: 'no decoder for this codec (a GStreamer plugin is missing)',
    permanent: true,
  },
  {
    test: /Could not open resource for reading and writing|Failed to connect|Connection refused|Could not connect/,
    reason: 'cannot connect to the camera (host unreachable or connection refused)',
    unreachable: true,
    refused: true,
  },
  {
    test: /Could not send message|Could not receive message|Received end-of-file|Connection reset|Timeout while waiting/,
    reason: 'connection to the camera lost',
    unreachable: true,
  },
  {
    test: /Resource not found|No such file|Could not open file .* for reading|Could not open resource for reading/,
    reason: 'source not found (no such file or device)',
    permanent: true,
  },
  {
    test: /Cannot identify device|not a capture device/,
    reason: 'not a usable V4L2 capture device',
    permanent: true,
  },
  {
    test: /no element "([^"]+)"|erroneous pipeline/,
    reason: 'invalid pipeline description',
    permanent: true,
  },
  {
    test: /could not link|could not negotiate|not-negotiated/,
    reason: 'cannot negotiate a raw video format',
  },
  {
    test: /decode|Could not demultiplex|Internal data stream error/i,
    reason: 'broken stream (decoding failed)',
  },
]

/** Classifies the text of one ERROR block (its first line and debug info). */
export function classifyGstError(text: string): CameraFault {
  const parse = /erroneous pipeline: (.*)/.exec(text)
  if (parse) {
    return {
      reason: `invalid pipeline description: ${redact(parse[1]!)}`,
      permanent: true,
      unreachable: false,
    }
  }
  for (const r of RULES) {
    if (r.test.test(text)) {
      return {
        reason: r.reason,
        permanent: r.permanent ?? false,
        unreachable: r.unreachable ?? false,
        ...(r.refused ? { refused: true } : {}),
      }
    }
  }
  const first = /ERROR: (?:from element [^:]*(?::[^:]*)*?: )?(.*)/.exec(text)?.[1] ?? text
  return {
    reason: redact(first.trim()).slice(0, 200) || 'gst-launch error',
    permanent: false,
    unreachable: false,
  }
}

/**
 * Collects ERROR blocks from stderr lines. gst-launch writes `ERROR: from element …`,
 * then `Additional debug info:` and one or two lines of details; a block ends at the next
 * line that starts a new message.
 */
export class StderrScanner {
  private block: string[] | null = null
  private partial = ''

  constructor(private readonly onError: (text: string) => void) {}

  push(chunk: string): void {
    const lines = (this.partial + chunk).split('\n')
    this.partial = lines.pop() ?? ''
    for (const line of lines) this.line(line)
  }

  /** Flushes an open block (at child exit). */
  end(): void {
    if (this.partial) this.line(this.partial)
    this.partial = ''
    this.flush()
  }

  private line(line: string): void {
    // A description gst-launch cannot parse is reported as a WARNING, then it exits 1.
    if (line.startsWith('WARNING: erroneous pipeline:')) {
      this.flush()
      this.onError(line)
      return
    }
    if (line.startsWith('ERROR: from element') || (line.startsWith('ERROR:') && this.block === null)) {
      this.flush()
      this.block = [line]
      return
    }
    if (this.block === null) return
    if (/^(ERROR|WARNING|INFO|Execution ended|Setting pipeline|Freeing pipeline)/.test(line)) {
      this.flush()
      if (line.startsWith('ERROR: from element')) this.block = [line]
      return
    }
    if (this.block.length < 6) this.block.push(line)
  }

  private flush(): void {
    if (this.block) this.onError(this.block.join('\n'))
    this.block = null
  }
}
