// /cameras/<name>/latest.jpg: the latest processed frame of each camera with its boxes
// drawn, for the status page. Copies of frames are taken before inference (their pixels
// are transferred to the worker) and paired with their results (latest-frames.ts).
import type { Extension, ExtensionContext, Reconfiguration } from '../extension.js'
import { LatestFrames } from '../latest-frames.js'
import { send, sendText } from '../http-routes.js'

export class LatestFramesExtension implements Extension {
  readonly name = 'latest-frames'
  private readonly frames = new LatestFrames()

  constructor(private readonly ctx: ExtensionContext) {
    ctx.bus.on('frame', (f) => this.frames.offer(f))
    ctx.bus.on('result', (r) => this.frames.onResult(r))
    ctx.routes.add({
      method: 'GET',
      path: /^\/cameras\/([^/]+)\/latest\.jpg$/,
      hint: '/cameras/<name>/latest.jpg',
      handle: (_req, res, [camera]) => {
        const cams = ctx.parts.cameras()?.status() ?? {}
        if (!Object.hasOwn(cams, camera!)) return sendText(res, 404, `no camera named "${camera}"\n`)
        this.frames.watch(camera!)
        const img = this.frames.latest(camera!)
        if (img === null) {
          return sendText(res, 503, `no processed frame from "${camera}" yet; retry shortly\n`, {
            'retry-after': '1',
          })
        }
        send(res, 200, 'image/jpeg', img.jpeg, {
          'x-frame-seq': String(img.frameSeq),
          'x-frame-ts': String(img.ts),
        })
      },
    })
  }

  reconfigure(change: Reconfiguration): void {
    for (const name of [...(change.cameras?.removed ?? []), ...(change.cameras?.changed ?? [])])
      this.frames.forget(name)
  }
}
