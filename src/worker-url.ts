// Where a worker thread's module is: the compiled .js next to the caller when running
// from dist/, otherwise (tests run the .ts sources through tap's TypeScript loader) the
// .ts, which loads because workers inherit process.execArgv and with it the loader.
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'

/** `name` without extension, relative to the calling module's `import.meta.url`. */
export function workerUrl(callerUrl: string, name: string): URL {
  const js = new URL(`${name}.js`, callerUrl)
  return fs.existsSync(fileURLToPath(js)) ? js : new URL(`${name}.ts`, callerUrl)
}
