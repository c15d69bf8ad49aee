// The plain Python/OpenCV-DNN script the throughput bench compares the daemon with
// (scripts/bench/opencv_peer.py), and the model as such a script would be handed it.
import fs from 'node:fs'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { APP_ROOT } from '../config/load.js'

const PEER = path.join(APP_ROOT, 'scripts', 'bench', 'opencv_peer.py')

/**
 * The same model as a script writer would hand it to OpenCV 4.6 (which reads neither a
 * dynamic batch dimension nor the shape arithmetic around it): batch fixed to 1 with the
 * onnx package, then onnxruntime's basic graph optimisation folds the shape constants.
 * The network and its weights are unchanged; the manifest goes beside it.
 */
export async function peerModel(model: string, dir: string): Promise<string> {
  const fixed = path.join(dir, 'peer-static.onnx')
  const out = path.join(dir, 'peer.onnx')
  await new Promise<void>((resolve, reject) =>
    execFile(
      '/usr/bin/python3',
      [
        '-c',
        'import onnx,sys\nm=onnx.load(sys.argv[1])\nfor t in list(m.graph.input)+list(m.graph.output):\n d=t.type.tensor_type.shape.dim[0]\n d.ClearField("dim_param"); d.dim_value=1\nonnx.save(m,sys.argv[2])',
        model,
        fixed,
      ],
      (err) => (err ? reject(new Error(err.message)) : resolve()),
    ),
  )
  const ort = (await import('onnxruntime-node')).default
  const s = await ort.InferenceSession.create(fixed, {
    graphOptimizationLevel: 'basic',
    optimizedModelFilePath: out,
  })
  await s.release()
  const manifest = model.replace(/\.onnx$/i, '.yaml')
  if (fs.existsSync(manifest)) fs.copyFileSync(manifest, path.join(dir, 'peer.yaml'))
  return out
}

export function peer(
  model: string,
  clip: string,
  threads: number,
  seconds: number,
): Promise<{ fps: number } | { error: string }> {
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/python3',
      [PEER, model, clip, '--threads', String(threads), '--seconds', String(seconds)],
      { timeout: (seconds + 120) * 1000 },
      (err, stdout) => {
        const line = stdout.trim().split('\n').at(-1) ?? ''
        try {
          resolve(JSON.parse(line) as { fps: number } | { error: string })
        } catch {
          resolve({ error: err ? err.message : `no result: ${line}` })
        }
      },
    )
  })
}
