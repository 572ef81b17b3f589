import { In, type DataSource } from 'typeorm'
import { InspectionSchema, LedgerItemSchema, PersonSchema, RoleAssignmentSchema } from '../../db/entities/index.js'
import { problemKey } from '../../db/problem-key.js'
import { beijingDate } from '../../time/calendar-date.js'
import type { Actor } from '../ledger/ledger-access.js'
import { checkFinding, type TypedFinding } from '../inspections/finding-fields.js'
import { recordFinding, type FindingInput } from '../inspections/record-finding.js'
import { campaignFor } from './import-ledger.js'
import { cellDate, problemCollector, text, type ImportResult } from './import-report.js'
import type { ImportLimits } from './import-limits.js'
import { readTable, type ColumnSpec, type TableRow } from './read-table.js'

/** The inspection group's sheet (docs/imports.md, 督查记录): one check a row. */
export const INSPECTION_COLUMNS: readonly ColumnSpec[] = [
  { key: 'unit', header: '被检查单位', synonyms: ['单位', '单位名称'] },
  { key: 'date', header: '检查日期', synonyms: ['日期', '检查时间'] },
  { key: 'method', header: '检查方式', synonyms: ['方式'] },
  { key: 'findings', header: '发现问题', synonyms: ['发现', '问题', '存在问题', '检查发现'] },
  { key: 'category', header: '问题类别', synonyms: ['类别'] },
  { key: 'rectify', header: '是否整改', synonyms: ['整改', '须整改', '是否需要整改'] },
  { key: 'due', header: '整改时限', synonyms: ['时限', '完成时限'] },
  { key: 'leader', header: '责任领导', synonyms: ['分管领导'] },
  { key: 'person', header: '具体责任人', synonyms: ['责任人'] },
  { key: 'typical', header: '是否典型', synonyms: ['典型', '典型案例'] },
  { key: 'inspector', header: '检查人', synonyms: ['检查组成员', '督查人'] },
]

const KEYS: readonly (keyof TypedFinding)[] = ['unit', 'date', 'method', 'findings', 'category', 'rectify', 'due', 'leader', 'person', 'typical']

/** The 检查人 of a row: an active holder of inspector or org_admin, by name or userid, as the finding's actor. */
async function inspectorOf(ds: DataSource, typed: string): Promise<Actor | string> {
  if (!typed) return '缺少检查人'
  const people = await ds.getRepository(PersonSchema).find({ where: [{ name: typed, active: true }, { userid: typed.toLowerCase(), active: true }] })
  const assignments = people.length === 0 ? [] : await ds.getRepository(RoleAssignmentSchema).findBy({ personId: In(people.map((p) => p.id)) })
  const checkers = people.filter((p) => assignments.some((a) => a.personId === p.id && (a.role === 'inspector' || a.role === 'org_admin')))
  if (checkers.length === 1) {
    const own = assignments.filter((a) => a.personId === checkers[0]!.id)
    return { person: checkers[0]!, roles: [...new Set(own.map((a) => a.role))], assignments: own }
  }
  if (checkers.length > 1) return `检查人「${typed}」有重名：${checkers.map((p) => `${p.name}（${p.userid}）`).join('、')}，请改写企业微信账号`
  return people.length > 0 ? `检查人「${typed}」不是检查组成员或组织部管理员` : `检查人「${typed}」不在花名册中`
}

interface PlannedFinding {
  row: TableRow
  actor: Actor
  input: FindingInput
}

/** The same check as one already recorded: same unit, date, method and findings text. */
const sameCheck = (i: Pick<FindingInput, 'unitId' | 'inspectedOn' | 'method' | 'findings'>) => `${i.unitId}\n${i.inspectedOn}\n${i.method}\n${problemKey(i.findings)}`

/**
 * 督查记录: every row checked first, with the rules of `督查 登记` (`checkFinding`: unit, dates,
 * method, category, rectification, due date, named people, typical case) and a 检查人 of the
 * inspection group; a row repeating another, or a check already recorded (unchanged), is not
 * written twice; a finding to rectify whose problem the unit already has in its ledger is
 * refused. With no problem, all rows are recorded in one transaction through `recordFinding`:
 * each finding's ledger item and notice as if registered in chat (docs/inspections.md).
 */
export async function importInspections(
  ds: DataSource,
  path: string,
  options: { dryRun?: boolean; campaignId?: number; now?: Date; onProgress?: (done: number, total: number) => void; limits?: Partial<ImportLimits> } = {},
): Promise<ImportResult> {
  const now = options.now ?? new Date()
  const today = beijingDate(now)
  const campaign = await campaignFor(ds, options.campaignId, now)
  const year = Number(campaign.startDate.slice(0, 4))
  const table = await readTable(path, INSPECTION_COLUMNS, options.limits)
  const { problems, add } = problemCollector(table)
  const existing = new Set((await ds.getRepository(InspectionSchema).findBy({ campaignId: campaign.id })).map(sameCheck))
  const items = await ds.getRepository(LedgerItemSchema).find({ where: { campaignId: campaign.id }, select: { id: true, unitId: true, problemKey: true } })
  const seen = new Map<string, number>()
  const planned: PlannedFinding[] = []
  let unchanged = 0
  for (const [index, row] of table.rows.entries()) {
    options.onProgress?.(index + 1, table.rows.length)
    const typed: TypedFinding = Object.fromEntries(KEYS.map((key) => [key, text(row.cells[key])]))
    const readDate = (typedDate: string) => {
      const date = cellDate(typedDate, year)
      if (!date) throw new Error(`「${typedDate}」不是能识别的日期，可写 2015-09-30、2015年9月30日 或 9月30日`)
      return date
    }
    const checked = await checkFinding(ds, campaign, typed, today, readDate)
    // A column the file lacks is named in the reason (缺少检查日期), not as a column.
    for (const p of checked.fieldProblems) add(row, table.headers.has(p.key) ? p.key : null, p.reason)
    const actor = await inspectorOf(ds, text(row.cells.inspector))
    if (typeof actor === 'string') add(row, table.headers.has('inspector') ? 'inspector' : null, actor)
    if (!checked.input || typeof actor === 'string') continue
    const input = checked.input
    const key = sameCheck(input)
    if (seen.has(key)) {
      add(row, null, `与第 ${seen.get(key)} 行是同一次检查（同一单位、日期、方式和发现）`)
      continue
    }
    seen.set(key, row.row)
    if (existing.has(key)) {
      unchanged += 1
      continue
    }
    const held = input.mustRectify ? items.find((i) => i.unitId === input.unitId && i.problemKey === problemKey(input.findings)) : undefined
    if (held) add(row, 'findings', `该单位已有同一问题的台账 #${held.id}，请改写发现问题或标为不整改`)
    else planned.push({ row, actor, input })
  }
  const result: ImportResult = { rows: table.rows.length, created: planned.length, updated: 0, unchanged, problems, written: false }
  if (problems.length > 0) {
    result.created = 0
    return result
  }
  if (!options.dryRun && planned.length > 0) {
    await ds.transaction(async (manager) => {
      for (const { actor, input } of planned) await recordFinding(manager, actor, input, now)
    })
    result.written = true
  }
  return result
}
