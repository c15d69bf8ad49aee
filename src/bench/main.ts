// `npm run bench`: runs the benchmark sections (each the median of several runs) and
// writes docs/benchmarks.json and the tables in docs/benchmarks.md. Not part of the tests.
//   node dist/bench/main.js [--only id,id] [--quick] [--model FILE.onnx]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { APP_ROOT } from '../config/load.js'
import type { BenchRunner, BenchSection } from './types.js'

/** Section id → loader. Each area adds its own line. */
const SECTIONS: Record<string, () => Promise<{ run: BenchRunner }>> = {
  store: () => import('./store.js'),
  ingest: () => import('./ingest.js'),
  runtime: () => import('./runtime.js'),
  tracking: () => import('./tracking.js'),
  throughput: () => import('./throughput.js'),
  e2e: () => import('./e2e.js'),
}

function machine(): string {
  const cpus = os.cpus()
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`
}

function render(sections: BenchSection[], command: string, date: string): string {
  const out = [
    '# Benchmarks',
    '',
    `Written by \`${command}\` on ${date}.`,
    '',
    `Machine: ${machine()}.`,
    '',
    'Each figure is the median of the runs listed beside it. Goals come from the issues; "no" means missed (see the notes).',
    '',
  ]
  for (const s of sections) {
    out.push(`## ${s.title}`, '', '| figure | value | runs | goal | met |', '|---|---|---|---|---|')
    for (const f of s.figures) {
      const runs = f.runs && f.runs.length > 1 ? f.runs.map((r) => fmt(r)).join(', ') : ''
      out.push(
        `| ${f.name} | ${fmt(f.value)} ${f.unit} | ${runs} | ${f.goal ?? ''} | ${f.met === undefined ? '' : f.met ? 'yes' : 'no'} |`,
      )
    }
    if (s.notes?.length) out.push('', ...s.notes.map((n) => `- ${n}`))
    out.push('')
  }
  return out.join('\n')
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  if (Math.abs(v) >= 100) return v.toFixed(0)
  if (Math.abs(v) >= 10) return v.toFixed(1)
  return v.toFixed(2)
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, quick: { type: 'boolean' }, model: { type: 'string' } },
  })
  const model = values.model === undefined ? undefined : path.resolve(values.model)
  if (model !== undefined && !fs.existsSync(model)) throw new Error(`--model ${model}: no such file`)
  const ids = values.only ? values.only.split(',') : Object.keys(SECTIONS)
  const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`)
  const jsonFile = path.join(APP_ROOT, 'docs', 'benchmarks.json')
  const previous = fs.existsSync(jsonFile)
    ? (JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as { sections: BenchSection[] })
    : null
  const byId = new Map((previous?.sections ?? []).map((s) => [s.id, s]))
  for (const id of ids) {
    const load = SECTIONS[id]
    if (!load) throw new Error(`unknown bench section "${id}" (known: ${Object.keys(SECTIONS).join(', ')})`)
    log(`running ${id}`)
    const section = await (await load()).run({ quick: values.quick ?? false, log, model })
    byId.set(id, section)
  }
  const order = Object.keys(SECTIONS)
  const sections = [...byId.values()].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id))
  const date = new Date().toISOString().slice(0, 10)
  let rev = ''
  try {
    rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: APP_ROOT, encoding: 'utf8' }).trim()
  } catch {
    rev = 'unknown'
  }
  const args = [
    values.only ? `--only ${values.only}` : '',
    values.model ? `--model ${values.model}` : '',
  ].filter(Boolean)
  const command = 'npm run bench' + (args.length ? ` -- ${args.join(' ')}` : '')
  fs.writeFileSync(jsonFile, JSON.stringify({ date, rev, machine: machine(), sections }, null, 2))
  fs.writeFileSync(
    path.join(APP_ROOT, 'docs', 'benchmarks.md'),
    render(sections, command, `${date} (commit ${rev})`),
  )
  log(`wrote docs/benchmarks.md and ${jsonFile}`)
}

await main()
