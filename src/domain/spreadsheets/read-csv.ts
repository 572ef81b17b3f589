import { parse } from 'csv-parse/sync'
import { UserFacingError } from '../../errors.js'
import type { CellValue } from './read-workbook.js'

const GBK_HINT = '文件可能是 GBK 编码，请另存为 UTF-8 CSV 或 xlsx。'

/**
 * A CSV file's text. UTF-8 (with or without a byte-order mark) first; bytes that are not UTF-8
 * are read as GB18030, the superset of GBK that Excel on Chinese Windows writes for "CSV (逗号分隔)".
 * Node's TextDecoder knows GB18030 when built with full ICU, as the official builds are.
 */
export function decodeCsv(bytes: Buffer, name: string): { text: string; encoding: 'utf-8' | 'gb18030' } {
  if (bytes.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) {
    throw new UserFacingError('bad_encoding', `「${name}」的内容是 xlsx 工作簿，不是 CSV：请把扩展名改为 .xlsx 再导入。`)
  }
  const bom = bytes.subarray(0, 2)
  if (bom.equals(Buffer.from([0xff, 0xfe])) || bom.equals(Buffer.from([0xfe, 0xff]))) {
    throw new UserFacingError('bad_encoding', `「${name}」是 UTF-16 编码（Excel 的“Unicode 文本”），请另存为 UTF-8 CSV 或 xlsx。`)
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' }
  } catch {
    // Not UTF-8: GB18030 next.
  }
  try {
    return { text: new TextDecoder('gb18030', { fatal: true }).decode(bytes), encoding: 'gb18030' }
  } catch {
    // Not GB18030 either (or this Node has no full ICU): say what to do.
    throw new UserFacingError('bad_encoding', `读不了「${name}」：既不是 UTF-8 也不是 GBK 文本。${GBK_HINT}`)
  }
}

/** The rows of a CSV file, cells trimmed, empty cells null; a malformed line is named in Chinese. */
export function readCsvRows(bytes: Buffer, name: string): { rows: CellValue[][]; encoding: 'utf-8' | 'gb18030' } {
  const { text, encoding } = decodeCsv(bytes, name)
  let records: string[][]
  try {
    records = parse(text, { relax_column_count: true, skip_empty_lines: false }) as string[][]
  } catch (error) {
    const line = (error as { lines?: number }).lines
    throw new UserFacingError(
      'bad_file',
      `读不了「${name}」：${line ? `第 ${line} 行` : ''}CSV 格式有误（多半是引号不成对）。请用 Excel 打开后另存为 UTF-8 CSV 或 xlsx 再导入。${encoding === 'gb18030' ? `（文件按 GBK 编码读取；${GBK_HINT}）` : ''}`,
    )
  }
  return { rows: records.map((r) => r.map((c) => (c.trim() === '' ? null : c.trim()))), encoding }
}

/** Added to "no header found" when the file was read as GBK: the encoding may be why. */
export const GBK_NO_HEADER_HINT = `（文件不是 UTF-8，已按 GBK 编码读取。${GBK_HINT}）`
