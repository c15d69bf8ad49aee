// The onnxruntime-node version really installed, read at run time. On a Jetson the npm
// package may have been replaced by an older tag's build (deploy/jetson/build-onnxruntime.sh,
// package mode), whose TensorRT EP accepts fewer options than the version package.json pins.
// The replacement carries its own package.json, so that file tells the truth either way.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** "1.30.0", or null when onnxruntime-node's package.json cannot be read. */
export function installedOrtVersion(): string | null {
  try {
    const pkg = require('onnxruntime-node/package.json') as { version?: unknown }
    return typeof pkg.version === 'string' ? pkg.version : null
  } catch {
    return null
  }
}
