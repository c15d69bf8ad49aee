// The meaning of a camera's zones, lines, masks and filters, beyond their shape: names
// that become MQTT topic levels, polygons that do not cross themselves, lines that are
// lines, area bounds in order, and labels the model has (when the labels are known from
// the config or the model's manifest; otherwise the daemon checks them once the model is
// loaded, see labelProblems()).
import fs from 'node:fs'
import { parse as parseYaml } from 'yaml'
import type { CameraConfig } from './schema.js'
import { NAME_PATTERN } from './schema.js'
import type { ConfigProblem } from './errors.js'
import { selfIntersects } from '../analytics/geometry.js'

export function analyticsProblems(at: string, cam: CameraConfig): ConfigProblem[] {
  const out: ConfigProblem[] = []
  const add = (path: string, message: string) => out.push({ path: `${at}.${path}`, message })
  for (const kind of ['zones', 'lines'] as const) {
    const seen = new Map<string, string>()
    for (const name of Object.keys(cam[kind])) {
      if (!NAME_PATTERN.test(name))
        add(
          `${kind}.${name}`,
          'names may use letters, digits, "_", "-" and "." (they become MQTT topic levels)',
        )
      const other = seen.get(name.toLowerCase())
      if (other !== undefined) add(`${kind}.${name}`, `duplicate name (same as "${other}" ignoring case)`)
      seen.set(name.toLowerCase(), name)
    }
  }
  for (const [name, z] of Object.entries(cam.zones)) {
    if (selfIntersects(z.points))
      add(`zones.${name}.points`, 'the polygon crosses itself; list its corners in order around it')
  }
  for (const [name, l] of Object.entries(cam.lines)) {
    const [a, b] = l.points
    if (a[0] === b[0] && a[1] === b[1])
      add(`lines.${name}.points`, 'the two points are the same; a line needs two different ones')
  }
  cam.masks.forEach((m, i) => {
    if (selfIntersects(m))
      add(`masks.${i}`, 'the polygon crosses itself; list its corners in order around it')
  })
  for (const [label, f] of Object.entries(cam.filters)) {
    if (f.min_area !== undefined && f.max_area !== undefined && f.min_area > f.max_area)
      add(`filters.${label}.min_area`, `min_area ${f.min_area} is larger than max_area ${f.max_area}`)
  }
  return out
}

/** Labels named by zones, lines and filters that are not among the model's labels. */
export function labelProblems(at: string, cam: CameraConfig, labels: readonly string[]): ConfigProblem[] {
  const known = new Set(labels)
  const out: ConfigProblem[] = []
  const check = (path: string, list: readonly string[] | undefined) => {
    for (const l of list ?? [])
      if (!known.has(l))
        out.push({
          path: `${at}.${path}`,
          message: `"${l}" is not one of the model's labels (${labels.join(', ')})`,
        })
  }
  for (const [name, z] of Object.entries(cam.zones)) check(`zones.${name}.labels`, z.labels)
  for (const [name, l] of Object.entries(cam.lines)) check(`lines.${name}.labels`, l.labels)
  for (const label of Object.keys(cam.filters)) {
    if (!known.has(label))
      out.push({
        path: `${at}.filters.${label}`,
        message: `"${label}" is not one of the model's labels (${labels.join(', ')})`,
      })
  }
  return out
}

/** The labels of the model's manifest (<model>.yaml), if it has a readable list; else null. */
export function manifestLabels(modelPath: string): string[] | null {
  try {
    const raw = parseYaml(fs.readFileSync(modelPath.replace(/\.onnx$/i, '') + '.yaml', 'utf8')) as unknown
    const labels = (raw as { labels?: unknown } | null)?.labels
    return Array.isArray(labels) && labels.every((l) => typeof l === 'string') ? labels : null
  } catch {
    return null
  }
}
