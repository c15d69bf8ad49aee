// The Home Assistant MQTT discovery documents edgewatch announces (keys as Home Assistant's
// MQTT integration documents them: sensor, binary_sensor, image), made from the config
// alone so the same config always yields the same unique_ids. One HA device for the daemon
// (a connectivity sensor on its status topic) and one per camera, linked with via_device:
// per label a count sensor and an occupancy binary sensor; per zone the same for the zone;
// per line a total sensor for each direction; the latest event snapshot as an image.
import type { ResolvedConfig } from '../config/load.js'

export interface DiscoveryDoc {
  /** <discovery prefix>/<component>/<node id>/<object id>/config */
  topic: string
  payload: Record<string, unknown>
}

/** Letters, digits, _ and - only: what Home Assistant accepts in object ids. */
function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '_')
}

export function snapshotTopic(cfg: ResolvedConfig, camera: string): string {
  return `${cfg.mqtt.topic_prefix}/${cfg.device.id}/${camera}/snapshot`
}

export function discoveryDocs(
  cfg: ResolvedConfig,
  labels: readonly string[],
  version: string,
): DiscoveryDoc[] {
  const dev = cfg.device.id
  const base = `${cfg.mqtt.topic_prefix}/${dev}`
  const node = `edgewatch_${slug(dev)}`
  const prefix = cfg.mqtt.discovery.prefix
  const availability = [
    { topic: `${base}/status`, payload_available: 'online', payload_not_available: 'offline' },
  ]
  const daemon = {
    identifiers: [node],
    name: `edgewatch ${dev}`,
    manufacturer: 'edgewatch',
    model: 'edgewatch daemon',
    sw_version: version,
  }
  const docs: DiscoveryDoc[] = [
    {
      topic: `${prefix}/binary_sensor/${node}/status/config`,
      payload: {
        name: 'Online',
        unique_id: `${node}_status`,
        state_topic: `${base}/status`,
        payload_on: 'online',
        payload_off: 'offline',
        device_class: 'connectivity',
        entity_category: 'diagnostic',
        device: daemon,
      },
    },
  ]
  for (const [camera, cam] of Object.entries(cfg.cameras)) {
    if (!cam.enabled) continue
    const c = slug(camera)
    const device = {
      identifiers: [`${node}_${c}`],
      name: camera,
      manufacturer: 'edgewatch',
      model: 'edgewatch camera',
      via_device: node,
    }
    const common = { availability, device }
    const countPair = (id: string, name: string, topic: string, key: string) => {
      docs.push({
        topic: `${prefix}/sensor/${node}/${c}_${id}_count/config`,
        payload: {
          ...common,
          name: `${name} count`,
          unique_id: `${node}_${c}_${id}_count`,
          state_topic: topic,
          value_template: `{{ value_json['${key}'] }}`,
          state_class: 'measurement',
          icon: 'mdi:counter',
        },
      })
      docs.push({
        topic: `${prefix}/binary_sensor/${node}/${c}_${id}_occupancy/config`,
        payload: {
          ...common,
          name: `${name} occupancy`,
          unique_id: `${node}_${c}_${id}_occupancy`,
          state_topic: topic,
          value_template: `{{ 'ON' if value_json['${key}'] > 0 else 'OFF' }}`,
          device_class: 'occupancy',
        },
      })
    }
    for (const label of ['all', ...labels]) countPair(slug(label), label, `${base}/${camera}/counts`, label)
    for (const zone of Object.keys(cam.zones))
      countPair(`zone_${slug(zone)}`, zone, `${base}/${camera}/zones/${zone}/counts`, 'all')
    for (const line of Object.keys(cam.lines)) {
      for (const dir of ['in', 'out'] as const) {
        docs.push({
          topic: `${prefix}/sensor/${node}/${c}_line_${slug(line)}_${dir}/config`,
          payload: {
            ...common,
            name: `${line} ${dir}`,
            unique_id: `${node}_${c}_line_${slug(line)}_${dir}`,
            state_topic: `${base}/${camera}/lines/${line}`,
            value_template: `{{ value_json['${dir}'] }}`,
            state_class: 'total_increasing',
            icon: dir === 'in' ? 'mdi:login' : 'mdi:logout',
          },
        })
      }
    }
    docs.push({
      topic: `${prefix}/image/${node}/${c}_snapshot/config`,
      payload: {
        ...common,
        name: 'Latest event',
        unique_id: `${node}_${c}_snapshot`,
        image_topic: snapshotTopic(cfg, camera),
        content_type: 'image/jpeg',
      },
    })
  }
  return docs
}
