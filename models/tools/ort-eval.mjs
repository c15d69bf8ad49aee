// Runs the exported ONNX model with onnxruntime-node over a stored held-out set
// (models/data.py layout: images.npy uint8 [N, H, W, 3] letterbox content, placed
// centred into the input size the model's manifest declares) and writes the raw outputs as a float32 .npy [N, anchors, 5+C], which
// `models/evaluate.py --preds` scores.  This is how the card's ONNX numbers are
// produced: the same graph and runtime the daemon uses, not PyTorch.
//   node models/tools/ort-eval.mjs models/csp-shapes.onnx models/work/heldout out.npy
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';
import { manifestInput } from './manifest-input.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'package.json'));
const ort = require('onnxruntime-node');

const [modelPath, dataDir, outPath] = process.argv.slice(2);
if (!outPath) {
  console.error('usage: ort-eval.mjs MODEL.onnx DATA_DIR OUT.npy');
  process.exit(64);
}

function readNpyU8(file) {
  const buf = fs.readFileSync(file);
  const hlen = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + hlen).toString('latin1');
  if (!header.includes("'|u1'")) throw new Error(`${file}: expected uint8, got ${header}`);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  return { shape, data: buf.subarray(10 + hlen) };
}

function writeNpyF32(file, arr, shape) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength)]));
}

const { shape, data } = readNpyU8(path.join(dataDir, 'images.npy'));
const [n, h, w] = shape;
const { width: IW, height: IH } = manifestInput(modelPath);
const px = Math.floor((IW - w) / 2);
const py = Math.floor((IH - h) / 2);
const plane = IW * IH;
const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 2, executionProviders: ['cpu'] });
const input = new Float32Array(3 * plane);
let out = null;
let per = 0;
for (let i = 0; i < n; i++) {
  input.fill(114 / 255);
  const base = i * h * w * 3;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = base + (y * w + x) * 3;
      const dst = (y + py) * IW + (x + px);
      input[dst] = data[src] / 255;
      input[plane + dst] = data[src + 1] / 255;
      input[2 * plane + dst] = data[src + 2] / 255;
    }
  }
  const res = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, IH, IW]) });
  const o = res[session.outputNames[0]];
  if (!out) {
    per = o.dims[1] * o.dims[2];
    out = new Float32Array(n * per);
    out.dims = o.dims;
  }
  out.set(o.data, i * per);
}
writeNpyF32(outPath, out, [n, out.dims[1], out.dims[2]]);
console.log(JSON.stringify({ frames: n, out: outPath }));
