// `npm run build`: dist/ from scratch, for production (`npm ci --omit=dev`, then plain `node`).
// tsc compiles src/, commands/, migrations/ and ormconfig.ts (tsconfig.build.json); then every
// other file in those folders that the code reads at run time (the built-in plans,
// src/domain/plan/builtin/*.json, found next to load-plan.js) is copied to the same place under dist/.
import { spawnSync } from 'node:child_process'
import { cpSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'

const SOURCES = ['src', 'commands', 'migrations']

rmSync('dist', { recursive: true, force: true })
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const { status } = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
if (status !== 0) process.exit(status ?? 1)
for (const dir of SOURCES) {
  cpSync(dir, `dist/${dir}`, { recursive: true, filter: (path) => statSync(path).isDirectory() || !/\.tsx?$/.test(path) })
}
process.stdout.write('built dist/ (entry: dist/src/main.js)\n')
