// Peak memory of one onnxruntime-node CPU session running an ONNX detector, from the
// kernel's own account of this process (Linux /proc/self/status).
//   node models/tools/ort-mem.mjs MODEL.onnx [--arena 1|0] [--pattern 1|0] [--threads 1] [--runs 20]
// Prints one JSON line. Run it in a fresh process per measurement (the CSP-vs-plain study
// does, models/study.py): a process that has run other sessions keeps their freed pages.
//   load_mb: resident growth while the session is created (weights, graph, kernels' packed weights);
//   run_peak_mb: the peak resident growth over the input's own footprint while
//     running batch-1 inferences, i.e. what inference itself needs at the peak: the intermediate
//     tensors (arena on: as the arena reserved them; pattern on: one planned block per run),
//     the output, and per-run scratch.
// The peak is the kernel's high-water mark (VmHWM), reset before each phase by writing 5 to
// /proc/self/clear_refs, so earlier phases do not hide in it.
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import fs from 'node:fs'
import path from 'node:path'
import { manifestInput } from './manifest-input.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(path.join(here, '..', '..', 'package.json'))
const ort = require('onnxruntime-node')

const args = process.argv.slice(2)
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? Number(args[i + 1]) : def
}
const model = args[0]
if (!model || model.startsWith('--')) {
  console.error('usage: ort-mem.mjs MODEL.onnx [--arena 1|0] [--pattern 1|0] [--threads 1] [--runs 20]')
  process.exit(64)
}
const arena = opt('arena', 1) === 1
const pattern = opt('pattern', 1) === 1
const threads = opt('threads', 1)
const runs = opt('runs', 20)

function kb() {
  const s = fs.readFileSync('/proc/self/status', 'utf8')
  const get = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)[1])
  return { rss: get('VmRSS'), hwm: get('VmHWM') }
}
const resetPeak = () => fs.writeFileSync('/proc/self/clear_refs', '5')
const mb = (k) => +(k / 1024).toFixed(2)

const { width, height } = manifestInput(model)
const data = new Float32Array(3 * width * height).fill(114 / 255)
const input = new ort.Tensor('float32', data, [1, 3, height, width])
globalThis.gc?.()
resetPeak()
const before = kb()
const session = await ort.InferenceSession.create(model, {
  executionProviders: ['cpu'],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  enableCpuMemArena: arena,
  enableMemPattern: pattern,
})
const loaded = kb()
resetPeak()
const idle = kb()
let outBytes = 0
for (let i = 0; i < runs; i++) {
  const res = await session.run({ [session.inputNames[0]]: input })
  outBytes = res[session.outputNames[0]].data.byteLength
}
const ran = kb()
console.log(
  JSON.stringify({
    model: path.basename(model),
    arena,
    mem_pattern: pattern,
    threads,
    runs,
    baseline_rss_mb: mb(before.rss),
    load_mb: mb(loaded.hwm - before.rss),
    run_peak_mb: mb(ran.hwm - idle.rss),
    rss_after_runs_mb: mb(ran.rss - idle.rss),
    input_mb: mb(data.byteLength / 1024),
    output_mb: mb(outBytes / 1024),
    ort: ort.env?.versions?.common ?? null,
  }),
)
await session.release?.()
