import ExcelJS from 'exceljs'
import type { Context } from 'koa'
import { writeTable, type CellInput, type ColumnSpec } from '../../domain/reports/sheet-table.js'

/** A table a page shows, as the .xlsx its 导出 link downloads (docs/dashboard.md, Exports). */
export interface TableExport {
  /** The file's name without .xlsx, and the sheet's title row. */
  title: string
  columns: ColumnSpec[]
  rows: CellInput[][]
}

/** Whether the request asks for the page's table as a workbook (?format=xlsx). */
export const wantsXlsx = (ctx: Context): boolean => ctx.query.format === 'xlsx'

/** The page's link to its own table as .xlsx: the same query, plus format=xlsx. */
export function xlsxHref(path: string, query: Record<string, string> = {}): string {
  const params = new URLSearchParams({ ...query, format: 'xlsx' })
  return `${path}?${params.toString()}`
}

/** Answers with the table as one sheet, with the same columns and rows the page shows. */
export async function sendTable(ctx: Context, table: TableExport): Promise<void> {
  const workbook = new ExcelJS.Workbook()
  workbook.creator = '专项治理督办'
  const sheet = workbook.addWorksheet(sheetName(table.title))
  writeTable(sheet, table.title, table.columns, table.rows)
  await sendWorkbook(ctx, workbook, table.title)
}

/** A sheet name Excel takes: at most 31 characters, none of \\ / ? * [ ] :, not beginning or ending with '. */
export function sheetName(title: string): string {
  const name = [...title.replace(/[\\/?*[\]:]/g, '_')].slice(0, 31).join('').replace(/^'+|'+$/g, '').trim()
  return name || '导出'
}

/** Answers with a workbook as a download named `name`.xlsx (a Chinese name, encoded as RFC 6266 says). */
export async function sendWorkbook(ctx: Context, workbook: ExcelJS.Workbook, name: string): Promise<void> {
  sendXlsx(ctx, Buffer.from(await workbook.xlsx.writeBuffer()), name)
}

/** A workbook's bytes as a download named `name`.xlsx (the name in UTF-8 for browsers that take it). */
export function sendXlsx(ctx: Context, body: Uint8Array, name: string): void {
  ctx.set('Content-Disposition', `attachment; filename="export.xlsx"; filename*=UTF-8''${encodeURIComponent(`${name}.xlsx`)}`)
  ctx.type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
  ctx.set('Cache-Control', 'no-store')
  ctx.body = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
}
