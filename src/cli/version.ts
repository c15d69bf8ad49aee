import fs from 'node:fs'
import path from 'node:path'
import { APP_ROOT } from '../config/load.js'

export function packageVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(APP_ROOT, 'package.json'), 'utf8')) as { version: string }
  return pkg.version
}
