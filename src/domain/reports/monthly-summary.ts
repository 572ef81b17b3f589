import type { DataSource } from 'typeorm'
import type { Campaign } from '../../db/entities/index.js'
import { MAX_FILE_BYTES, type Attachment } from '../../outbox/stored-files.js'
import { inertText } from '../../wecom/inert-text.js'
import { countsLine, percent } from '../../read-model/chat-format.js'
import { overdueRanking } from '../../read-model/ledger-status.js'
import { truncateUtf8, BYTE_LIMITS } from '../../wecom/utf8-limits.js'
import { monthlyFigures, monthlyTotals, type MonthlyFigures } from './monthly-figures.js'
import { monthlyWorkbookBytes, SHEET_NAMES } from './monthly-workbook.js'

const monthName = (f: MonthlyFigures) => {
  const [year, month] = f.period.month.split('-').map(Number)
  return `${year}年${month}月`
}

/** One line with the workbook's headline figures (printed by `export monthly`). */
export function summaryLine(f: MonthlyFigures): string {
  const t = monthlyTotals(f)
  return (
    `${monthName(f)}月报（截至 ${f.period.asOfDate}）：${t.units} 个单位，${countsLine(t)}，` +
    `本月进展 ${f.events.length} 条，月报已报 ${t.reported}/${t.reportsOwed}。`
  )
}

/** The file name people see in WeCom: the campaign, the month, and 月报汇总. */
export function workbookFilename(f: MonthlyFigures): string {
  // "“为官不为”行为专项治理（2015年7月起）" → 为官不为行为专项治理: no quotes, no bracketed note, nothing a file system refuses.
  const name = f.campaign.name.replace(/[（(][^）)]*[）)]/g, '').replace(/[\\/:*?"<>|\s“”‘’]+/g, '')
  return `${name}${monthName(f)}月报汇总.xlsx`.slice(-120)
}

/** A few names, then how many more. */
function someNames(names: readonly string[], limit = 5): string {
  return names.length <= limit ? names.join('、') : `${names.slice(0, limit).join('、')} 等 ${names.length} 个`
}

/**
 * The short markdown that goes with the workbook: the same totals as its 汇总 sheet, who has not
 * reported, where most items are overdue; `instead` replaces the line pointing to the attachment
 * when there is none. Fits one message (2,048 bytes).
 */
export function monthlySummaryMarkdown(f: MonthlyFigures, filename: string, instead?: string): string {
  const t = monthlyTotals(f)
  const asOf = f.period.complete ? `${Number(f.period.month.slice(5))}月底` : `${Number(f.period.asOfDate.slice(5, 7))}月${Number(f.period.asOfDate.slice(8))}日`
  const missing = f.units.filter((u) => u.owesReport && !u.reportSubmittedAt).map((u) => inertText(u.unitName)).sort((a, b) => a.localeCompare(b, 'zh-CN'))
  const worst = overdueRanking(f.units)
  const lines = [
    `**${monthName(f)}专项治理月报汇总**（截至${asOf}）`,
    countsLine(t),
    `按期销号率：${t.onTimeRate === null ? '暂无到期项' : percent(t.onTimeRate)}；本月进展 ${f.events.length} 条`,
    `月报已报 ${t.reported}/${t.reportsOwed} 个单位` + (missing.length > 0 ? `，未报：${someNames(missing)}` : ''),
  ]
  if (worst.length > 0) lines.push(`逾期较多：${worst.slice(0, 3).map((u) => `${inertText(u.unitName)} ${u.overdue} 项`).join('、')}`)
  lines.push(instead ?? `> 明细见附件《${inertText(filename)}》（${SHEET_NAMES.join('、')}）`)
  return truncateUtf8(lines.join('\n'), BYTE_LIMITS.markdown)
}

/**
 * The month's figures, the workbook as a file to send, and its summary. A workbook over WeCom's
 * file limit (20 MB, `maxBytes`) is not sent: `attachment` is null and the summary says where to
 * get it instead (docs/wecom.md, Media).
 */
export async function monthlyReportFile(
  ds: DataSource,
  campaign: Campaign,
  month: string,
  now: Date,
  options: { maxBytes?: number } = {},
): Promise<{ figures: MonthlyFigures; attachment: Attachment | null; summary: string }> {
  const figures = await monthlyFigures(ds, campaign, month, now)
  const filename = workbookFilename(figures)
  const maxBytes = options.maxBytes ?? MAX_FILE_BYTES
  // Streamed into memory; one over the limit is only counted, never held whole (docs/figures.md, The monthly workbook).
  const { bytes, content } = await monthlyWorkbookBytes(figures, now, maxBytes)
  if (content) return { figures, attachment: { filename, content }, summary: monthlySummaryMarkdown(figures, filename) }
  return { figures, attachment: null, summary: monthlySummaryMarkdown(figures, filename, tooLargeNote(bytes, maxBytes, month)) }
}

/** "> 工作簿 23.4 MB，超过企业微信 20 MB 的文件上限，未作为附件发送；…" */
function tooLargeNote(bytes: number, maxBytes: number, month: string): string {
  const mb = (n: number) => (n < 1024 * 1024 ? `${Math.ceil(n / 1024)} KB` : `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MB`)
  return `> 工作簿 ${mb(bytes)}，超过企业微信 ${mb(maxBytes)} 的文件上限，未作为附件发送。请在工作台「月报」页下载月度工作簿，或由管理员运行：npm run cli -- export monthly --month ${month}`
}
