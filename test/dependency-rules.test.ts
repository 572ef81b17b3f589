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

describe('who reported to the inspection group', () => {
  /** Every source file of the service and its tools (tests excluded): what could read a table. */
  const sources = () =>
    ['src', 'commands', 'migrations', 'scripts', 'bench']
      .flatMap((dir) => (readdirSync(join(ROOT, dir), { recursive: true }) as string[]).map((f) => join(dir, f)))
      .filter((file) => /\.(ts|mjs|cjs|js)$/.test(file))
      .concat('ormconfig.ts')
  const text = (file: string) => readFileSync(join(ROOT, file), 'utf8')

  // docs/inspections.md, Confidentiality: one reader (for 组织部's answers), one writer, the schema and the migration that made the table.
  it('is named by no file but its entity, the writer, the one reader and the migration', () => {
    const naming = sources().filter((file) => /PublicReportReporter|public_report_reporter/.test(text(file)))
    expect(naming.sort()).toEqual([
      'migrations/1765442400000-inspection-phase.ts',
      'src/db/entities/index.ts',
      'src/db/entities/public-report.ts',
      'src/domain/inspections/public-reports.ts',
      'src/read-model/public-reports.ts',
    ])
  })

  it('is read by reporterFor alone and only inserted by the writer', () => {
    // Each line naming the schema, its imports and comments left out.
    const uses = (file: string) =>
      [...text(file).replace(/^import [\s\S]*? from '[^']+'$/gm, '').matchAll(/^(?!\s*\*|\s*\/\/).*PublicReportReporterSchema.*$/gm)].map((m) => m[0].trim())
    expect(uses('src/read-model/public-reports.ts')).toEqual(['return db.getRepository(PublicReportReporterSchema).findOneBy({ publicReportId: reportId })'])
    expect(text('src/read-model/public-reports.ts')).toMatch(/export async function reporterFor\(db: Db, reportId: number\): Promise<PublicReportReporter \| null> \{\n {2}return db\.getRepository\(PublicReportReporterSchema\)/)
    expect(uses('src/domain/inspections/public-reports.ts')).toEqual(['await manager.insert(PublicReportReporterSchema, {'])
  })
})
