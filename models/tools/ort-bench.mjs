// Pure inference latency of an ONNX detector with onnxruntime-node on CPU.
//   node models/tools/ort-bench.mjs [model.onnx] [--threads 2] [--runs 100] [--batch 1]
// Prints one JSON line: median / p90 / min ms of session.run() alone (no
// pre/post-processing), after a warm-up, with intraOpNumThreads as given.
// Plain ESM so it runs without the TypeScript build.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { manifestInput } from './manifest-input.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'package.json'));
const ort = require('onnxruntime-node');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const model = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--'))) ??
  path.join(here, '..', 'csp-shapes.onnx');
const threads = opt('threads', 2);
const runs = opt('runs', 100);
const batch = opt('batch', 1);

const session = await ort.InferenceSession.create(model, {
  executionProviders: ['cpu'],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
});
const meta = session.inputMetadata?.[0];
const { width, height } = manifestInput(model);
// a mid-grey frame; the network's cost does not depend on pixel values
const data = new Float32Array(batch * 3 * width * height).fill(114 / 255);
const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [batch, 3, height, width]) };
for (let i = 0; i < 10; i++) await session.run(feeds);
const times = [];
for (let i = 0; i < runs; i++) {
  const t0 = process.hrtime.bigint();
  await session.run(feeds);
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
times.sort((a, b) => a - b);
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
const out = {
  model: path.basename(model),
  threads,
  batch,
  runs,
  median_ms: +q(0.5).toFixed(2),
  p90_ms: +q(0.9).toFixed(2),
  min_ms: +times[0].toFixed(2),
  ort: ort.env?.versions?.common ?? null,
  input: meta ? meta.name : session.inputNames[0],
  input_size: `${width}x${height}`,
};
console.log(JSON.stringify(out));
await session.release?.();
