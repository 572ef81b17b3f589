import { type DataSource } from 'typeorm'
import { addCampaignUnit } from '../campaign/create-campaign.js'
import { CampaignSchema, LedgerItemSchema, PersonSchema, ProblemCategorySchema, ProgressUpdateSchema, UnitSchema, type Campaign, type LedgerItem, type Person } from '../../db/entities/index.js'
import { problemKey } from '../../db/problem-key.js'
import { isUniqueViolation } from '../../db/database-error.js'
import { isMysql } from '../../db/sql-instant.js'
import { matchCategory } from '../ledger/register-item.js'
import { UserFacingError } from '../../errors.js'
import { beijingDate, formatChineseDate, type CalendarDate } from '../../time/calendar-date.js'
import { cellDate, problemCollector, text, type ImportResult } from './import-report.js'
import type { ImportLimits } from './import-limits.js'
import { readTable, type ColumnSpec } from './read-table.js'

export const LEDGER_COLUMNS: readonly ColumnSpec[] = [
  { key: 'id', header: '编号', synonyms: ['台账编号', '序号id'] },
  { key: 'unit', header: '单位', synonyms: ['单位名称', '责任单位'] },
  { key: 'category', header: '问题类别', synonyms: ['类别', '问题类型'] },
  { key: 'problem', header: '问题描述', synonyms: ['问题', '存在问题', '主要问题', '问题表现'] },
  { key: 'measures', header: '整改措施', synonyms: ['措施', '整改举措'] },
  { key: 'target', header: '整治目标', synonyms: ['整改目标', '目标'] },
  { key: 'due', header: '完成时限', synonyms: ['整改时限', '时限', '完成时间', '整改期限'] },
  { key: 'department', header: '责任部门', synonyms: ['责任科室', '牵头部门'] },
  { key: 'leader', header: '责任领导', synonyms: ['分管领导'] },
  { key: 'person', header: '具体责任人', synonyms: ['责任人'] },
  { key: 'public', header: '是否公开', synonyms: ['公开', '是否公示'] },
]

const YES = new Set(['是', '公开', 'y', 'yes', '1', '√', '✓'])
const NO = new Set(['否', '不公开', 'n', 'no', '0', ''])

interface PlannedItem {
  id: number | null
  unitId: number
  categoryId: number
  problem: string
  measures: string
  target: string
  dueDate: CalendarDate
  department: string | null
  leaderId: number
  personId: number
  isPublic: boolean
}

/** The campaign to import into: the one named, else the one running today. */
async function campaignFor(ds: DataSource, campaignId: number | undefined, now: Date): Promise<Campaign> {
  const campaign = campaignId
    ? await ds.getRepository(CampaignSchema).findOneBy({ id: campaignId })
    : await ds.getRepository(CampaignSchema).findOne({ where: { status: 'active' }, order: { startDate: 'DESC', id: 'DESC' } })
  if (!campaign) throw new UserFacingError('no_campaign', campaignId ? `没有编号为 #${campaignId} 的专项治理（npm run cli -- campaign list 查看）。` : `没有进行中的专项治理（${beijingDate(now)}），请先创建或用 --campaign 指定。`)
  return campaign
}

/**
 * 工作台账: every row checked first — unit, category ((一)–(八), its name or a close match),
 * responsible leader and person (by name in that unit, or userid), due date (Excel date, serial
 * or text; not before the campaign starts), duplicates — then, with no problem, all written in
 * one transaction. An item is found again by its 编号 or by unit and problem text and updated
 * in place (a new due date restarts its reminders); new ones get their history row. No
 * notices are sent: the daily sweep reminds.
 */
export async function importLedger(
  ds: DataSource,
  path: string,
  options: { dryRun?: boolean; campaignId?: number; now?: Date; onProgress?: (done: number, total: number) => void; limits?: Partial<ImportLimits> } = {},
): Promise<ImportResult> {
  const now = options.now ?? new Date()
  const campaign = await campaignFor(ds, options.campaignId, now)
  const table = await readTable(path, LEDGER_COLUMNS, options.limits)
  const { problems, add } = problemCollector(table)
  const year = Number(campaign.startDate.slice(0, 4))
  const units = new Map((await ds.getRepository(UnitSchema).find()).map((u) => [u.name, u]))
  const people = await ds.getRepository(PersonSchema).findBy({ active: true })
  const peopleByUnit = new Map<number | null, Person[]>()
  for (const p of people) {
    const list = peopleByUnit.get(p.unitId)
    if (list) list.push(p)
    else peopleByUnit.set(p.unitId, [p])
  }
  const names = new Set(people.map((p) => p.name))
  const categories = await ds.getRepository(ProblemCategorySchema).findBy({ campaignId: campaign.id })
  const existing = await ds.getRepository(LedgerItemSchema).find({ where: { campaignId: campaign.id } })
  const byId = new Map(existing.map((i) => [i.id, i]))
  // The same problem as 登记 sees it: whitespace and full-width forms do not count (problem-key.ts).
  const textKey = (unitId: number, problem: string) => `${unitId}\n${problemKey(problem)}`
  const byText = new Map(existing.map((i) => [textKey(i.unitId, i.problem), i]))
  const seen = new Map<string, number>()
  const planned: PlannedItem[] = []
  const person = (unitId: number, typed: string, row: Parameters<typeof add>[0], key: string, role: string): Person | undefined => {
    if (!typed) {
      add(row, key, `缺少${role}`)
      return undefined
    }
    const matches = (peopleByUnit.get(unitId) ?? []).filter((p) => p.name === typed || p.userid === typed.toLowerCase())
    if (matches.length === 1) return matches[0]
    if (matches.length > 1) add(row, key, `${role}「${typed}」有重名：${matches.map((p) => `${p.name}（${p.userid}）`).join('、')}，请改写企业微信账号`)
    else add(row, key, names.has(typed) ? `${role}「${typed}」不是本单位人员` : `${role}「${typed}」不在花名册中（请先导入人员）`)
    return undefined
  }
  for (const row of table.rows) {
    const unitName = text(row.cells.unit)
    const unit = units.get(unitName)
    if (!unitName) add(row, 'unit', '缺少单位')
    else if (!unit) add(row, 'unit', `单位「${unitName}」不在花名册中（请先导入单位）`)
    const idText = text(row.cells.id).replace(/^#/, '')
    let id: number | null = null
    if (idText) {
      id = Number(idText)
      if (!Number.isInteger(id) || !byId.has(id)) add(row, 'id', `编号「${idText}」不是本专项治理的台账条目（新条目请留空）`)
    }
    const typedCategory = text(row.cells.category)
    const category = typedCategory ? matchCategory(categories, typedCategory) : undefined
    if (!category) add(row, 'category', typedCategory ? `问题类别「${typedCategory}」无法识别，可写 (一)–(八) 或类别名称` : '缺少问题类别')
    const problem = text(row.cells.problem)
    const measures = text(row.cells.measures)
    const target = text(row.cells.target)
    if (!problem) add(row, 'problem', '缺少问题描述')
    if (!measures) add(row, 'measures', '缺少整改措施')
    if (!target) add(row, 'target', '缺少整治目标')
    const due = cellDate(row.cells.due ?? null, year)
    if (!text(row.cells.due)) add(row, 'due', '缺少完成时限')
    else if (!due) add(row, 'due', `完成时限「${text(row.cells.due)}」不是能识别的日期，可写 2015-09-30、2015年9月30日 或 9月30日`)
    else if (due < campaign.startDate) add(row, 'due', `完成时限 ${formatChineseDate(due)} 早于专项治理开始（${formatChineseDate(campaign.startDate)}）`)
    const publicText = text(row.cells.public).toLowerCase()
    if (!YES.has(publicText) && !NO.has(publicText)) add(row, 'public', `是否公开「${publicText}」请写 是 或 否`)
    const leader = unit ? person(unit.id, text(row.cells.leader), row, 'leader', '责任领导') : undefined
    const responsible = unit ? person(unit.id, text(row.cells.person), row, 'person', '具体责任人') : undefined
    if (unit && problem) {
      const key = id ? `#${id}` : textKey(unit.id, problem)
      if (seen.has(key)) add(row, null, `与第 ${seen.get(key)} 行是同一条目（同一单位、同一问题）`)
      seen.set(key, row.row)
      const holder = byText.get(textKey(unit.id, problem))
      if (id && holder && holder.id !== id) add(row, 'problem', `与已登记的 #${holder.id} 是同一问题（同一单位），请合并或修改问题描述`)
    }
    if (unit && category && problem && measures && target && due && leader && responsible) {
      planned.push({ id: id ?? byText.get(textKey(unit.id, problem))?.id ?? null, unitId: unit.id, categoryId: category.id, problem, measures, target, dueDate: due, department: text(row.cells.department) || null, leaderId: leader.id, personId: responsible.id, isPublic: YES.has(publicText) })
    }
  }
  const result: ImportResult = { rows: table.rows.length, created: 0, updated: 0, unchanged: 0, problems, written: false }
  if (problems.length > 0) return result
  const write = !options.dryRun
  const fields = (p: PlannedItem) => ({
    unitId: p.unitId,
    categoryId: p.categoryId,
    problem: p.problem,
    measures: p.measures,
    target: p.target,
    dueDate: p.dueDate,
    responsibleDepartment: p.department,
    responsibleLeaderId: p.leaderId,
    responsiblePersonId: p.personId,
    isPublic: p.isPublic,
  })
  const run = async (manager: DataSource['manager']) => {
    const created: number[] = []
    const edited: LedgerItem[] = []
    // The items this import updates, read again and locked: a 完成 or 进度 committed since the
    // first read is what the history rows start from, and none lands while the import writes.
    const current = write ? await lockItems(manager, planned.flatMap((p) => (p.id !== null && byId.has(p.id) ? [p.id] : []))) : byId
    for (const [index, item] of planned.entries()) {
      options.onProgress?.(index + 1, planned.length)
      const known = item.id === null ? undefined : current.get(item.id)
      if (!known) {
        result.created += 1
        if (!write) continue
        const inserted = await manager
          .insert(LedgerItemSchema, { ...fields(item), problemKey: problemKey(item.problem), campaignId: campaign.id, originalDueDate: item.dueDate, status: 'open', progress: 0, isTypicalCase: false } as LedgerItem)
          .catch((error: unknown) => {
            // Someone registered the same problem while the import ran: nothing is written.
            if (isUniqueViolation(error)) throw new UserFacingError('import_conflict', `导入未完成：导入期间有人登记了表中的同一问题（${item.problem.slice(0, 30)}），未导入任何内容。请重新导入，已登记的问题会按问题描述匹配更新。`)
            throw error
          })
        created.push(Number(inserted.identifiers[0]!.id))
        continue
      }
      const next = fields(item)
      const changed = (Object.keys(next) as (keyof typeof next)[]).some((k) => known[k] !== next[k])
      if (!changed) {
        result.unchanged += 1
        continue
      }
      result.updated += 1
      // A new problem text takes its key (checked above to be no other item's).
      if (write) await manager.update(LedgerItemSchema, { id: known.id }, known.problem === next.problem ? next : { ...next, problemKey: problemKey(next.problem) })
      edited.push(known)
    }
    if (!write) return
    for (let i = 0; i < created.length; i += 500) {
      await manager.insert(
        ProgressUpdateSchema,
        created.slice(i, i + 500).map((ledgerItemId) => ({ ledgerItemId, personId: null, kind: 'created' as const, oldStatus: null, newStatus: 'open', oldProgress: null, newProgress: 0, note: '表格导入' })),
      )
    }
    // Every change of an item has its history row.
    for (let i = 0; i < edited.length; i += 500) {
      await manager.insert(
        ProgressUpdateSchema,
        edited.slice(i, i + 500).map((item) => ({ ledgerItemId: item.id, personId: null, kind: 'edited' as const, oldStatus: item.status, newStatus: item.status, oldProgress: item.progress, newProgress: item.progress, note: '表格导入更新' })),
      )
    }
    for (const unitId of new Set(planned.map((p) => p.unitId))) await addCampaignUnit(manager, campaign.id, unitId, 'participant')
  }
  if (write) {
    await ds.transaction(run)
    result.written = true
  } else await run(ds.manager)
  return result
}

/** The items, locked until the import's transaction ends, read as they are now (500 at a time). */
async function lockItems(manager: DataSource['manager'], ids: readonly number[]): Promise<Map<number, LedgerItem>> {
  const items = new Map<number, LedgerItem>()
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500)
    const query = manager.createQueryBuilder(LedgerItemSchema, 'i').where('i.id IN (:...chunk)', { chunk })
    if (isMysql(manager)) query.setLock('pessimistic_write')
    for (const item of await query.getMany()) items.set(item.id, item)
  }
  return items
}
