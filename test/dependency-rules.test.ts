import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '..')
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise')

/**
 * The rules of .dependency-cruiser.cjs (docs/architecture.md, Layers), checked on a small tree
 * laid out like ours: `npm run check:deps` in CI passes on the repository, and these show that it
 * fails on an import up a layer and on a cycle.
 */
describe('the dependency rules', () => {
  let dir: string
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  async function cruise(files: Record<string, string>): Promise<{ ok: boolean; output: string }> {
    dir = mkdtempSync(join(tmpdir(), 'layers-'))
    copyFileSync(join(ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'))
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }))
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true })
      writeFileSync(join(dir, path), text)
    }
    try {
      const { stdout } = await run(DEPCRUISE, ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: dir })
      return { ok: true, output: stdout }
    } catch (error) {
      return { ok: false, output: String((error as { stdout?: string }).stdout) }
    }
  }

  it('accepts imports down the layers', async () => {
    const result = await cruise({
      'src/time/clock.ts': 'export const now = () => new Date()\n',
      'src/domain/ledger/item.ts': "import { now } from '../../time/clock.js'\nexport const due = now\n",
      'src/http/route.ts': "import { due } from '../domain/ledger/item.js'\nexport const route = due\n",
    })
    expect(result).toMatchObject({ ok: true })
  })

  it('refuses an import up a layer, naming the rule and the import', async () => {
    const result = await cruise({
      'src/http/route.ts': 'export const route = 1\n',
      'src/domain/ledger/item.ts': "import { route } from '../../http/route.js'\nexport const item = route\n",
    })
    expect(result.ok).toBe(false)
    expect(result.output).toContain('no-upward-from-domain: src/domain/ledger/item.ts → src/http/route.ts')
  })

  it('refuses a cycle, and a folder that belongs to no layer', async () => {
    const result = await cruise({
      'src/domain/a.ts': "import { b } from './b.js'\nexport const a = () => b\n",
      'src/domain/b.ts': "import { a } from './a.js'\nexport const b = () => a\n",
      'src/misc/loose.ts': 'export const loose = 1\n',
      'src/http/route.ts': "import { loose } from '../misc/loose.js'\nexport const route = loose\n",
    })
    expect(result.ok).toBe(false)
    expect(result.output).toContain('no-circular')
    expect(result.output).toContain('no-unlayered: src/http/route.ts → src/misc/loose.ts')
  })
})

describe('commands and jobs', () => {
  // Without an import of src/db (refused by the rules above) a repository is out of reach; raw SQL and transactions are not, so they are looked for.
  it('call domain services and the read model, never SQL, a query builder or a transaction of their own', () => {
    const files = [...readdirSync(join(ROOT, 'commands')).map((f) => join('commands', f)), ...readdirSync(join(ROOT, 'src/jobs')).map((f) => join('src/jobs', f))]
    const offending = files.filter((file) => /\.(query|transaction|getRepository|createQueryBuilder)\(/.test(readFileSync(join(ROOT, file), 'utf8')))
    expect(files.length).toBeGreaterThan(20)
    expect(offending).toEqual([])
  })
})
