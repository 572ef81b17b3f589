import ExcelJS from 'exceljs'
import { UserFacingError } from '../../errors.js'
import { checkXlsxArchive, notXlsxError } from './check-xlsx-archive.js'
import type { ImportLimits } from './import-limits.js'

/** A cell as the import reads it. */
export type CellValue = string | number | Date | null

function cellText(value: ExcelJS.CellValue): CellValue {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return value
  if (typeof value === 'number') return value
  if (typeof value === 'boolean') return value ? '是' : '否'
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim()
  if ('richText' in value) return cellText(value.richText.map((r) => r.text).join(''))
  if ('text' in value && typeof value.text === 'string') return cellText(value.text)
  if ('result' in value) return cellText((value.result ?? null) as ExcelJS.CellValue)
  if ('error' in value) return null
  return null
}

/**
 * The sheets of an .xlsx file's bytes, each as rows of cells. The archive is checked first
 * (checkXlsxArchive); whatever exceljs or jszip then throws is answered in Chinese, never with
 * their English text.
 */
export async function readWorkbookSheets(bytes: Buffer, name: string, limits: ImportLimits): Promise<{ name: string; rows: CellValue[][] }[]> {
  await checkXlsxArchive(bytes, name, limits)
  const workbook = new ExcelJS.Workbook()
  try {
    await workbook.xlsx.load(bytes as unknown as ExcelJS.Buffer)
  } catch (error) {
    if (error instanceof RangeError) {
      throw new UserFacingError('suspicious_archive', `「${name}」解压后的内容太大，无法读取。请拆分成几个文件分别导入。`)
    }
    throw notXlsxError(name, bytes)
  }
  return workbook.worksheets.map((worksheet) => {
    const rows: CellValue[][] = []
    worksheet.eachRow({ includeEmpty: true }, (row, number) => {
      const cells: CellValue[] = []
      row.eachCell({ includeEmpty: true }, (cell, column) => {
        // A merged cell's other parts read as empty, not as a copy of its value.
        cells[column - 1] = cell.isMerged && cell.master !== cell ? null : cellText(cell.value)
      })
      rows[number - 1] = cells
    })
    for (let i = 0; i < rows.length; i++) rows[i] ??= []
    return { name: worksheet.name, rows }
  })
}
