// The model input size from the manifest beside an ONNX file (MODEL.yaml, written by
// models/export.py: `input: { width: W, height: H, ... }`), for the model tools.
import fs from 'node:fs';

export function manifestInput(model) {
  const file = model.replace(/\.onnx$/, '.yaml');
  const text = fs.readFileSync(file, 'utf8');
  const w = /width:\s*(\d+)/.exec(text);
  const h = /height:\s*(\d+)/.exec(text);
  if (!w || !h) throw new Error(`${file}: declares no input width/height`);
  return { width: Number(w[1]), height: Number(h[1]) };
}
