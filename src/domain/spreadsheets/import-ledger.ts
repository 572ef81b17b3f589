import { type DataSource } from 'typeorm'
import { CampaignSchema, type Campaign } from '../../db/entities/index.js'
import { UserFacingError } from '../../errors.js'
import { beijingDate } from '../../time/calendar-date.js'
import { problemCollector, type ImportResult } from './import-report.js'
import type { ImportLimits } from './import-limits.js'
import { loadLedgerMatch, planRow, type PlannedItem } from './ledger-import-plan.js'
import { writeLedger, type LedgerWrite } from './ledger-import-write.js'
import { openTable, type ColumnSpec } from './read-table.js'

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

/** The campaign an import goes into: the one named, else the latest active one (ledger and inspection imports). */
export async function campaignFor(ds: DataSource, campaignId: number | undefined, now: Date): Promise<Campaign> {
  const campaign = campaignId
    ? await ds.getRepository(CampaignSchema).findOneBy({ id: campaignId })
    : await ds.getRepository(CampaignSchema).findOne({ where: { status: 'active' }, order: { startDate: 'DESC', id: 'DESC' } })
  if (!campaign) throw new UserFacingError('no_campaign', campaignId ? `没有编号为 #${campaignId} 的专项治理（npm run cli -- campaign list 查看）。` : `没有进行中的专项治理（${beijingDate(now)}），请先创建或用 --campaign 指定。`)
  return campaign
}

/**
 * 工作台账: every row checked first — unit, category ((一)–(八), its name or a close match),
 * responsible leader and person (by name in that unit, or userid), due date (Excel date, serial
 * or text; not before the campaign starts), duplicates — then, with no problem, all written,
 * a thousand rows a transaction (docs/imports.md, Writing in batches). The file is read row by
 * row, never held whole. An item is found again by its 编号 or by unit and problem text and
 * updated in place (a new due date restarts its reminders), so an import stopped midway is
 * completed by running it again; new ones get their history row. No notices are sent: the
 * daily sweep reminds.
 */
export async function importLedger(
  ds: DataSource,
  path: string,
  options: { dryRun?: boolean; campaignId?: number; now?: Date; onProgress?: (done: number, total: number) => void; limits?: Partial<ImportLimits>; batchRows?: number } = {},
): Promise<ImportResult> {
  const now = options.now ?? new Date()
  const campaign = await campaignFor(ds, options.campaignId, now)
  const table = await openTable(path, LEDGER_COLUMNS, options.limits)
  const { problems, add } = problemCollector(table)
  const match = await loadLedgerMatch(ds, campaign, add)
  const planned: PlannedItem[] = []
  let rows = 0
  // Row by row as the file is read: only the checked items are kept, not the sheet.
  for await (const row of table.rows()) {
    rows += 1
    const item = planRow(match, row)
    if (item) planned.push(item)
  }
  const result: ImportResult = { rows, created: 0, updated: 0, unchanged: 0, createdIds: [], updatedIds: [], problems, written: false }
  if (problems.length > 0) return result
  const plan: LedgerWrite = { campaignId: campaign.id, planned, byId: match.byId, checkedUpTo: match.maxId, write: !options.dryRun, result, onProgress: options.onProgress, batchRows: options.batchRows }
  await writeLedger(ds, plan)
  result.written = plan.write
  return result
}
