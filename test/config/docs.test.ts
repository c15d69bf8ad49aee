// docs/configuration.md and docs/config.schema.json are generated from the schema; they
// must be regenerated (npm run docs:config) whenever the schema changes.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { renderConfigDocs, configJsonSchema } from '../../src/config/docs.js'
import { REPO } from '../harness/cli.js'

t.test('configuration reference is up to date with the schema', async (t) => {
  const md = fs.readFileSync(path.join(REPO, 'docs', 'configuration.md'), 'utf8')
  t.equal(
    md,
    renderConfigDocs(),
    'docs/configuration.md is stale: run `npm run build && npm run docs:config`',
  )
  const json = JSON.parse(fs.readFileSync(path.join(REPO, 'docs', 'config.schema.json'), 'utf8'))
  t.same(json, configJsonSchema(), 'docs/config.schema.json is stale: run `npm run docs:config`')
})

t.test('every key has a row with a description or is a section', async (t) => {
  const md = renderConfigDocs()
  for (const key of [
    'cameras.<name>.url',
    'model.providers',
    'mqtt.password',
    'storage.retention.days',
    'http.allow_remote',
  ]) {
    t.match(md, `| \`${key}\` |`, key)
  }
})
