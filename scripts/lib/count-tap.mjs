// Counts the test results node-tap saved per test file (.tap/test-results/**.tap) and
// prints the closing line CI reads: `N passed, N failed` (and skipped, if any).
// A test is a top-level `ok`/`not ok` line of a file (one t.test()); a file that crashed
// before its plan counts as one failure more.
import fs from 'node:fs'
import path from 'node:path'

const [dir = '.tap/test-results', runStatus = '0'] = process.argv.slice(2)
let passed = 0
let failed = 0
let skipped = 0

function walk(d) {
  if (!fs.existsSync(d)) return []
  return fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(d, e.name)
    return e.isDirectory() ? walk(p) : p.endsWith('.tap') ? [p] : []
  })
}

for (const file of walk(dir)) {
  const lines = fs.readFileSync(file, 'utf8').split('\n')
  let planned = false
  let fileFailed = 0
  for (const line of lines) {
    if (/^1\.\.\d+/.test(line)) planned = true
    const m = /^(not ok|ok) \d+/.exec(line)
    if (!m) continue
    if (/# (SKIP|TODO)\b/i.test(line)) skipped++
    else if (m[1] === 'ok') passed++
    else fileFailed++
  }
  if (!planned && fileFailed === 0) fileFailed = 1
  failed += fileFailed
}
// tap failed but no result says why (e.g. it could not start): that is a failure too.
if (runStatus !== '0' && failed === 0) failed = 1
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
