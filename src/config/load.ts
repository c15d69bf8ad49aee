// Reads, validates and freezes the configuration file, in two passes:
//   1. shape: YAML syntax, ${ENV} substitution, the zod schema (types, unknown keys);
//   2. meaning: things a schema cannot see (duplicate names, files that must exist,
//      credentials that come in pairs, a non-loopback listener without opt-in).
// Every problem found is collected; the caller prints them all at once and exits 78.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { isMap, isScalar, LineCounter, parseDocument, type Node as YamlNode } from 'yaml'
import type { z } from 'zod'
import { ConfigSchema, ModelSchema, NAME_PATTERN, type EdgewatchConfig } from './schema.js'
import { ConfigError, type ConfigProblem } from './errors.js'
import { checkCameraSource } from './sources.js'
import { analyticsProblems, labelProblems, manifestLabels } from './analytics-checks.js'
import { resolveThreads } from '../runtime/threads.js'
import { isLoopback, parseListen } from './listen.js'
import { firstLine } from '../log/text.js'

/** Where http.token comes from when the file does not set it (docs/operations.md). */
export const HTTP_TOKEN_ENV = 'EDGEWATCH_HTTP_TOKEN'

/** The configuration after validation: defaults filled, paths absolute, frozen. */
export type ResolvedConfig = Readonly<
  Omit<EdgewatchConfig, 'device' | 'model'> & {
    device: { id: string }
    model: Omit<EdgewatchConfig['model'], 'threads'> & { path: string; threads: number }
    /** The file it came from (or '<inline>'), for messages. */
    source: string
  }
>

/** `model:` settings outside a config file (bench, `model inspect`, tests), resolved as loadConfig does. */
export function resolveModelConfig(input: Record<string, unknown>, file: string): ResolvedConfig['model'] {
  const m = ModelSchema.parse(input)
  return { ...m, path: file, threads: resolveThreads(m.threads, os.availableParallelism()) }
}

/** Where the package is installed: the bundled model and clip are found from here. */
export const APP_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BUNDLED_MODEL = path.join(APP_ROOT, 'models', 'csp-shapes.onnx')

export interface LoadOptions {
  env?: NodeJS.ProcessEnv
  /** Skip checks that touch the filesystem (used by `model inspect`-like callers). */
  checkFiles?: boolean
}

/** The cameras to run (enabled: false keeps one in the file without running it). */
export function enabledCameras(
  all: ResolvedConfig['cameras'],
): Record<string, ResolvedConfig['cameras'][string]> {
  return Object.fromEntries(Object.entries(all).filter(([, c]) => c.enabled))
}

/** Reads and validates a config file; throws ConfigError listing every problem. */
export function loadConfigFile(file: string, opts: LoadOptions = {}): ResolvedConfig {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why =
      code === 'ENOENT'
        ? 'file not found (create it, or pass --config FILE)'
        : code === 'EACCES'
          ? 'permission denied (is it readable by the edgewatch user?)'
          : code === 'EISDIR'
            ? 'is a directory, expected a YAML file'
            : `cannot read: ${(err as Error).message}`
    throw new ConfigError(file, [{ path: '', message: why }])
  }
  return parseConfig(text, file, opts)
}

/** Validates config text; `file` is used for messages and to resolve relative paths. */
export function parseConfig(text: string, file: string, opts: LoadOptions = {}): ResolvedConfig {
  const env = opts.env ?? process.env
  const problems: ConfigProblem[] = []
  if (text.trim() === '') {
    throw new ConfigError(file, [{ path: '', message: 'file is empty; at least one camera is required' }])
  }
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false })
  for (const e of doc.errors) {
    const pos = lineCounter.linePos(e.pos[0])
    const where = `line ${pos.line}, column ${pos.col}`
    const dup = e.code === 'DUPLICATE_KEY'
    problems.push({
      path: dup ? keyPathAt(doc.contents, e.pos[0]) : '',
      message: dup ? `duplicate key (${where})` : `YAML syntax error at ${where}: ${firstLine(e.message)}`,
    })
  }
  if (problems.length > 0) throw new ConfigError(file, problems)

  let raw: unknown
  try {
    raw = doc.toJS()
  } catch (err) {
    // The YAML library resolves aliases only here, and throws for one used before its
    // anchor or for aliases that expand too much ("billion laughs"). Found by
    // test/fuzz/config.fuzz.test.ts.
    throw new ConfigError(file, [
      { path: '', message: `YAML alias problem ${aliasLine(text)}: ${firstLine((err as Error).message)}` },
    ])
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, [
      { path: '', message: 'expected a YAML mapping (key: value) at the top level' },
    ])
  }
  const substituted = substituteEnv(raw, [], env, problems)

  const shape = ConfigSchema.safeParse(substituted, { reportInput: true })
  if (!shape.success) {
    // A key whose ${VAR} was unset already has its problem; don't add "too short" too.
    const envPaths = new Set(problems.map((p) => p.path))
    problems.push(...zodProblems(shape.error).filter((p) => !envPaths.has(p.path)))
    throw new ConfigError(file, problems)
  }
  if (problems.length > 0) throw new ConfigError(file, problems)

  const baseDir = file === '<inline>' ? process.cwd() : path.dirname(path.resolve(file))
  const cfg = shape.data
  const resolved = {
    ...cfg,
    source: file,
    device: { id: cfg.device.id ?? sanitizeName(os.hostname()) },
    model: {
      ...cfg.model,
      path: cfg.model.path ? path.resolve(baseDir, cfg.model.path) : BUNDLED_MODEL,
      threads: resolveThreads(cfg.model.threads, os.availableParallelism()),
      labels_file: cfg.model.labels_file ? path.resolve(baseDir, cfg.model.labels_file) : undefined,
    },
    storage: { ...cfg.storage, path: path.resolve(baseDir, cfg.storage.path) },
    // The token may stay out of the file: the unit's EnvironmentFile can hold it.
    http: { ...cfg.http, token: cfg.http.token ?? (env[HTTP_TOKEN_ENV] || undefined) },
  }
  if (cfg.http.token === undefined && resolved.http.token !== undefined && resolved.http.token.length < 16)
    problems.push({ path: 'http.token', message: `${HTTP_TOKEN_ENV} must be at least 16 characters` })
  checkMeaning(resolved, problems, opts.checkFiles ?? true)
  if (problems.length > 0) throw new ConfigError(file, problems)
  return deepFreeze(resolved)
}

/** "at line N" of the first alias (`*name`) in the text, for a located message. */
function aliasLine(text: string): string {
  const m = /(^|[\s[{,:])\*[^\s,\]}]+/m.exec(text)
  return m ? `at line ${text.slice(0, m.index + m[1]!.length).split('\n').length}` : 'in the file'
}

/** Second pass: relations between keys and facts about the machine. */
function checkMeaning(
  cfg: Omit<ResolvedConfig, never>,
  problems: ConfigProblem[],
  checkFiles: boolean,
): void {
  const add = (p: string, message: string) => problems.push({ path: p, message })
  const names = Object.keys(cfg.cameras)
  if (names.length === 0) add('cameras', 'at least one camera is required')
  const seen = new Map<string, string>()
  for (const name of names) {
    const cam = cfg.cameras[name]!
    const at = `cameras.${name}`
    if (!NAME_PATTERN.test(name)) {
      add(at, 'camera names may use letters, digits, "_", "-" and "." (they become MQTT topic levels)')
    }
    const folded = name.toLowerCase()
    const other = seen.get(folded)
    if (other !== undefined) add(at, `duplicate camera name (same as "${other}" ignoring case)`)
    seen.set(folded, name)
    for (const p of checkCameraSource(cam)) add(p.path ? `${at}.${p.path}` : at, p.message)
    problems.push(...analyticsProblems(at, cam))
  }
  // Labels in zones, lines and filters, when the model's labels are known without loading it.
  const labels = cfg.model.labels ?? (checkFiles ? manifestLabels(cfg.model.path) : null)
  if (labels)
    for (const name of names) problems.push(...labelProblems(`cameras.${name}`, cfg.cameras[name]!, labels))
  if (cfg.mqtt.username !== undefined && cfg.mqtt.password === undefined) {
    add('mqtt.password', 'username is set but password is missing')
  }
  if (cfg.mqtt.password !== undefined && cfg.mqtt.username === undefined) {
    add('mqtt.username', 'password is set but username is missing')
  }
  if ((cfg.mqtt.cert === undefined) !== (cfg.mqtt.key === undefined)) {
    add(cfg.mqtt.cert === undefined ? 'mqtt.cert' : 'mqtt.key', 'client certificate and key go together')
  }
  if (cfg.mqtt.enabled && !/^(mqtts?|wss?):\/\/[^/]+/.test(cfg.mqtt.url)) {
    add('mqtt.url', `expected mqtt://, mqtts://, ws:// or wss:// with a host, got "${cfg.mqtt.url}"`)
  }
  const listen = parseListen(cfg.http.listen)
  if (listen === null) {
    add('http.listen', `expected host:port (e.g. 127.0.0.1:9310), got "${cfg.http.listen}"`)
  } else if (cfg.http.enabled && !isLoopback(listen.host) && !cfg.http.allow_remote) {
    add('http.listen', `${listen.host} is not a loopback address; set http.allow_remote: true to expose it`)
  }
  if (cfg.http.enabled && cfg.http.allow_remote && cfg.http.token === undefined) {
    add(
      'http.token',
      'required with http.allow_remote: true (every request but /healthz must carry it); ' +
        `set a long random string here, or in the environment as ${HTTP_TOKEN_ENV} (e.g. in /etc/edgewatch/env)`,
    )
  }
  if (cfg.detect.labels && cfg.model.labels) {
    for (const l of cfg.detect.labels) {
      if (!cfg.model.labels.includes(l)) add('detect.labels', `"${l}" is not one of the model's labels`)
    }
  }
  if (checkFiles) {
    checkReadable(cfg.model.path, 'model.path', add)
    if (cfg.model.labels_file) checkReadable(cfg.model.labels_file, 'model.labels_file', add)
    for (const key of ['ca', 'cert', 'key'] as const) {
      const f = cfg.mqtt[key]
      if (f !== undefined) checkReadable(f, `mqtt.${key}`, add)
    }
    if (cfg.model.tensorrt.int8 && cfg.model.tensorrt.calibration_table) {
      checkReadable(cfg.model.tensorrt.calibration_table, 'model.tensorrt.calibration_table', add)
    }
  }
}

function checkReadable(file: string, at: string, add: (p: string, m: string) => void): void {
  try {
    const st = fs.statSync(file)
    if (!st.isFile()) add(at, `${file} is not a file`)
    else fs.accessSync(file, fs.constants.R_OK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    add(at, code === 'ENOENT' ? `${file} does not exist` : `${file} is not readable (${code ?? 'error'})`)
  }
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

/** Replaces ${VAR} and ${VAR:-default} in string values, recording unset variables. */
function substituteEnv(
  value: unknown,
  at: string[],
  env: NodeJS.ProcessEnv,
  problems: ConfigProblem[],
): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name]
      if (v !== undefined && v !== '') return v
      if (fallback !== undefined) return fallback
      problems.push({ path: at.join('.'), message: `environment variable ${name} is not set` })
      return ''
    })
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, [...at, String(i)], env, problems))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = substituteEnv(v, [...at, k], env, problems)
    return out
  }
  return value
}

function zodProblems(error: z.ZodError): ConfigProblem[] {
  const out: ConfigProblem[] = []
  for (const issue of error.issues) {
    const p = issue.path.map(String).join('.')
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        out.push({
          path: p ? `${p}.${k}` : k,
          message: 'unknown key (check the spelling; see docs/configuration.md)',
        })
      }
      continue
    }
    out.push({ path: p, message: describeIssue(issue) })
  }
  return out
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? `required ${issue.expected} is missing`
        : `expected ${issue.expected}, got ${kind(issue.input)}`
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(issue.input)}`
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string'
        ? `must have at least ${String(issue.minimum)} ${issue.origin === 'array' ? 'item(s)' : 'character(s)'}`
        : `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}, got ${JSON.stringify(issue.input)}`
    case 'too_big':
      return `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}, got ${JSON.stringify(issue.input)}`
    case 'invalid_format':
      return issue.message.startsWith('Invalid') ? `invalid format (${issue.format})` : issue.message
    case 'invalid_union': {
      // A branch the value has the type of but fails a check says the most (threads: 0).
      const firsts = issue.errors.map((branch) => branch[0]).filter((i) => i !== undefined)
      const near = firsts.find((i) => i.code !== 'invalid_type' && i.code !== 'invalid_value')
      if (near) return describeIssue(near)
      const options = firsts.flatMap((i) =>
        i.code === 'invalid_value'
          ? i.values.map((v) => JSON.stringify(v))
          : i.code === 'invalid_type'
            ? [i.expected]
            : [],
      )
      if (options.length === 0) return `invalid value ${JSON.stringify(issue.input)}`
      return firsts.every((i) => i.code === 'invalid_value')
        ? `expected one of ${options.join(', ')}, got ${JSON.stringify(issue.input)}`
        : `expected ${[...new Set(options)].join(' or ')}, got ${kind(issue.input)}`
    }
    default:
      return issue.message
  }
}

function kind(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  return `${typeof v} ${JSON.stringify(v)}`
}

/** The dotted key path of the map entry whose key starts at `offset` (for duplicate keys). */
function keyPathAt(node: YamlNode | null | undefined, offset: number, at: string[] = []): string {
  if (!node || !isMap(node)) return at.join('.')
  for (const pair of node.items) {
    const key = pair.key as YamlNode | null
    const name = isScalar(key) ? String(key.value) : '?'
    if (key?.range && key.range[0] === offset) return [...at, name].join('.')
    const val = pair.value as YamlNode | null
    if (val?.range && offset >= val.range[0] && offset < val.range[2])
      return keyPathAt(val, offset, [...at, name])
  }
  return at.join('.')
}

function sanitizeName(s: string): string {
  const clean = s.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '')
  return clean.slice(0, 64) || 'edgewatch'
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o)
    for (const v of Object.values(o)) deepFreeze(v)
  }
  return o
}
