// The daemon's features, in start order (stopped in reverse). A new feature is a new file
// in this folder and one line here (docs/architecture.md).
import type { ExtensionFactory } from '../extension.js'
import { CoreReload } from './core-reload.js'
import { Events } from './events.js'
import { Zones } from './zones.js'
import { HomeAssistant } from './home-assistant.js'
import { LatestFramesExtension } from './latest-frames.js'
import { PrometheusMetrics } from './prometheus.js'
import { MqttStats } from './mqtt-stats.js'
import { SystemdStatus } from './systemd-status.js'
import { StatusHttp } from './status-http.js'

export const DEFAULT_EXTENSIONS: readonly ExtensionFactory[] = [
  (ctx) => new CoreReload(ctx), // first: later extensions see which cameras a reload changed
  (ctx) => new Events(ctx),
  (ctx) => new Zones(ctx),
  (ctx) => new HomeAssistant(ctx),
  (ctx) => new LatestFramesExtension(ctx),
  (ctx) => new PrometheusMetrics(ctx),
  (ctx) => new MqttStats(ctx),
  (ctx) => new SystemdStatus(ctx),
  (ctx) => new StatusHttp(ctx),
]
