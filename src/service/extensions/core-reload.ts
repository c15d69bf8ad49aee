// Reload, applied to the core parts: a new model or detection settings swap the session
// (the old one keeps running if the new one fails to load), changed cameras restart one
// by one (untouched ones keep streaming), new MQTT settings reconnect. Runs first in the
// extension list, so later extensions see which cameras changed.
import { enabledCameras } from '../../config/load.js'
import type { Extension, ExtensionContext, Reconfiguration } from '../extension.js'

export class CoreReload implements Extension {
  readonly name = 'core-reload'

  constructor(private readonly ctx: ExtensionContext) {}

  async reconfigure(change: Reconfiguration): Promise<void> {
    const { prev, next, diff, outcome, effective } = change
    const runtime = this.ctx.parts.runtime()
    effective.model = prev.model
    effective.detect = prev.detect
    if ((diff.model || diff.detect) && runtime) {
      try {
        const before = runtime.info().input
        await runtime.swap(next.model, next.detect)
        effective.model = next.model
        effective.detect = next.detect
        outcome.applied.push(
          diff.model ? `model swapped to ${next.model.path}` : 'detection settings updated',
        )
        const after = runtime.info().input
        if (after.width !== before.width || after.height !== before.height) {
          // Cameras scale frames to fit the input size they were started with.
          outcome.needs_restart.push(
            `model input ${before.width}x${before.height} -> ${after.width}x${after.height} (cameras keep the old frame size)`,
          )
        }
      } catch (err) {
        outcome.errors.push(`model: ${(err as Error).message} (the previous model keeps running)`)
      }
    }
    const cameras = this.ctx.parts.cameras()
    effective.cameras = prev.cameras
    if ((diff.cameras || diff.maxFps) && cameras) {
      try {
        const r = await cameras.apply(enabledCameras(next.cameras), next.detect.max_fps)
        change.cameras = r
        effective.cameras = next.cameras
        if (r.added.length) outcome.applied.push(`cameras added: ${r.added.join(', ')}`)
        if (r.removed.length) outcome.applied.push(`cameras removed: ${r.removed.join(', ')}`)
        if (r.changed.length)
          outcome.applied.push(`cameras restarted with new settings: ${r.changed.join(', ')}`)
      } catch (err) {
        outcome.errors.push(`cameras: ${(err as Error).message}`)
      }
    }
    // The new detect.max_fps only counts if the cameras took it.
    if (effective.cameras !== next.cameras)
      effective.detect = { ...effective.detect, max_fps: prev.detect.max_fps }
    if (diff.mqtt) {
      const up = await this.ctx.replacePublisher(next.mqtt)
      outcome.applied.push(up ? 'mqtt reconnected with the new settings' : 'mqtt stopped')
    }
  }
}
