// The shape of src/ that keeps it easy to see (docs/architecture.md): no import circle
// (type-only imports included: a circle of types is still a circle of ideas), and no file
// past ~400 lines.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src')
const MAX_LINES = 400

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return sources(p)
    return e.name.endsWith('.ts') ? [p] : []
  })
}

/** Relative imports and re-exports of a file, resolved to .ts files. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8')
  const out: string[] = []
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+'(\.[^']+)'/gms)) {
    out.push(path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts')))
  }
  for (const m of text.matchAll(/^\s*import\s+'(\.[^']+)'/gm)) {
    out.push(path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts')))
  }
  return out
}

/** Every cycle's files (strongly connected components with more than one file, or a self-import). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0
  const idx = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const on = new Set<string>()
  const out: string[][] = []
  const visit = (v: string): void => {
    idx.set(v, index)
    low.set(v, index++)
    stack.push(v)
    on.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!idx.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!))
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = []
      let w: string
      do {
        w = stack.pop()!
        on.delete(w)
        comp.push(w)
      } while (w !== v)
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp)
    }
  }
  for (const v of graph.keys()) if (!idx.has(v)) visit(v)
  return out
}

const files = sources(SRC)

t.test('no import circle in src/', async (t) => {
  const graph = new Map(files.map((f) => [f, importsOf(f)]))
  const found = cycles(graph).map((c) => c.map((f) => path.relative(SRC, f)).sort())
  t.same(found, [], found.map((c) => c.join(' <-> ')).join('; ') || 'none')
})

t.test('the checker finds a circle (so the test above can fail)', async (t) => {
  const g = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
    ['d', ['a']],
  ])
  t.same(
    cycles(g).map((c) => c.sort()),
    [['a', 'b', 'c']],
  )
})

t.test(`no src file over ${MAX_LINES} lines`, async (t) => {
  const long = files
    .map((f) => ({ file: path.relative(SRC, f), lines: fs.readFileSync(f, 'utf8').split('\n').length }))
    .filter((x) => x.lines > MAX_LINES)
  t.same(long, [])
})
