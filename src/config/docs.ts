// Renders docs/configuration.md and docs/config.schema.json from the one schema, so the
// reference can never drift from what the daemon accepts (a test compares them).
//   node dist/config/docs.js   (npm run docs:config) rewrites both files.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { ConfigSchema } from './schema.js'

interface JsonSchema {
  type?: string | string[]
  description?: string
  default?: unknown
  enum?: unknown[]
  const?: unknown
  properties?: Record<string, JsonSchema>
  additionalProperties?: JsonSchema | boolean
  items?: JsonSchema | JsonSchema[]
  prefixItems?: JsonSchema[]
  anyOf?: JsonSchema[]
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  pattern?: string
}

export function configJsonSchema(): JsonSchema {
  return z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' \\| ')
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ')
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``
  if (s.type === 'array') {
    if (s.prefixItems) return `[${s.prefixItems.map(typeOf).join(', ')}]`
    const items = Array.isArray(s.items) ? s.items[0] : s.items
    return `list of ${items ? typeOf(items) : 'any'}`
  }
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') {
    return `map of name → ${typeOf(s.additionalProperties).replace(/^object$/, 'mapping')}`
  }
  let t = Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any')
  const range: string[] = []
  if (s.exclusiveMinimum !== undefined) range.push(`> ${s.exclusiveMinimum}`)
  if (s.minimum !== undefined) range.push(`≥ ${s.minimum}`)
  if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) range.push(`≤ ${s.maximum}`)
  if (range.length) t += ` (${range.join(', ')})`
  return t
}

function defaultOf(s: JsonSchema): string {
  if (s.default === undefined) return ''
  if (typeof s.default === 'object' && s.default !== null && Object.keys(s.default).length === 0) return ''
  return `\`${JSON.stringify(s.default)}\``
}

function rows(s: JsonSchema, prefix: string, out: string[]): void {
  for (const [key, child] of Object.entries(s.properties ?? {})) {
    const p = prefix ? `${prefix}.${key}` : key
    const isMap = child.type === 'object' && typeof child.additionalProperties === 'object'
    out.push(
      `| \`${p}\` | ${typeOf(child)} | ${defaultOf(child)} | ${(child.description ?? '').replace(/\|/g, '\\|')} |`,
    )
    if (child.properties) rows(child, p, out)
    if (isMap) {
      const inner = child.additionalProperties as JsonSchema
      if (inner.properties) rows(inner, `${p}.<name>`, out)
    }
  }
}

export function renderConfigDocs(): string {
  const schema = configJsonSchema()
  const out = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    'One YAML file, `/etc/edgewatch/config.yaml` by default (`--config FILE` for another).',
    'Unknown keys are errors. `${VAR}` or `${VAR:-default}` in any string takes the value from',
    'the environment (for secrets). Relative paths are relative to the config file.',
    '`edgewatch check --config FILE` validates a file and prints every problem as',
    '`file: key.path: what is wrong` (exit code 78). A JSON Schema for editors is in',
    '[config.schema.json](config.schema.json).',
    '',
    'Checks beyond types: at least one camera; camera names are unique ignoring case and use',
    'letters, digits, `_`, `-`, `.`; each camera has exactly one of `url` (rtsp, rtsps, file,',
    'v4l2) or `pipeline`; MQTT username and password go together, as do client cert and key;',
    'files named by the config exist and are readable; `http.listen` on a non-loopback address',
    'needs `http.allow_remote: true`; `detect.labels` must be labels of the model.',
    '',
    '| key | type | default | meaning |',
    '|---|---|---|---|',
  ]
  rows(schema, '', out)
  out.push('')
  return out.join('\n')
}

const isMain =
  process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
if (isMain) {
  const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs')
  fs.writeFileSync(path.join(docs, 'configuration.md'), renderConfigDocs())
  fs.writeFileSync(path.join(docs, 'config.schema.json'), JSON.stringify(configJsonSchema(), null, 2) + '\n')
}
