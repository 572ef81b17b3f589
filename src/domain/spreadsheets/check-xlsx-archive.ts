import { createInflateRaw } from 'node:zlib'
import { UserFacingError } from '../../errors.js'
import { formatSize, type ImportLimits } from './import-limits.js'
import { NotAZipError, readZipDirectory, TooManyEntriesError, type ZipEntry } from './read-zip-directory.js'

const RESAVE = '请用 Excel 打开后另存为 .xlsx 或 UTF-8 CSV 再导入。'

/** The message for bytes that are not a workbook (what the magic number says, when it says something). */
export function notXlsxError(name: string, bytes: Buffer): UserFacingError {
  // D0 CF 11 E0: an OLE2 compound file, i.e. an old .xls or a password-protected workbook.
  if (bytes.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))) {
    return new UserFacingError('not_xlsx', `不是有效的 xlsx 文件：「${name}」是旧版 Excel（.xls）文件或设了打开密码的工作簿。请用 Excel 打开后另存为 .xlsx 或 UTF-8 CSV（设了密码的先取消密码）再导入。`)
  }
  return new UserFacingError('not_xlsx', `不是有效的 xlsx 文件：「${name}」不是 Excel 工作簿（可能已损坏，或是改了扩展名的其他文件）。${RESAVE}`)
}

function refused(detail: string): UserFacingError {
  return new UserFacingError('suspicious_archive', `文件解压后过大或压缩比异常（${detail}），疑似损坏或恶意文件，已拒绝。如确是正常的表格，请拆分成几个文件分别导入。`)
}

/**
 * What is wrong with a workbook's declared sizes, in Chinese; null when they are within the
 * limits. A part or the whole file expanding more than `maxRatio`-fold (once past
 * `ratioFloorBytes`), a part past `maxPartBytes`, all parts past `maxUnzippedBytes`.
 */
export function declaredSizeProblem(entries: readonly Pick<ZipEntry, 'name' | 'compressedSize' | 'uncompressedSize'>[], fileBytes: number, limits: ImportLimits): string | null {
  let total = 0
  for (const entry of entries) {
    const { name, compressedSize: packed, uncompressedSize: size } = entry
    if (size > limits.maxPartBytes) return `「${name}」解压后 ${formatSize(size)}，单个部件上限 ${formatSize(limits.maxPartBytes)}`
    if (size > limits.ratioFloorBytes && size > limits.maxRatio * packed) {
      return `「${name}」由 ${formatSize(packed)} 解压为 ${formatSize(size)}，是 ${Math.round(size / Math.max(packed, 1))} 倍，上限 ${limits.maxRatio} 倍`
    }
    total += size
  }
  if (total > limits.maxUnzippedBytes) return `解压后共 ${formatSize(total)}，上限 ${formatSize(limits.maxUnzippedBytes)}`
  if (total > limits.ratioFloorBytes && total > limits.maxRatio * fileBytes) {
    return `${formatSize(fileBytes)} 的文件解压为 ${formatSize(total)}，是 ${Math.round(total / fileBytes)} 倍，上限 ${limits.maxRatio} 倍`
  }
  return null
}

/** Inflates into nothing, counting: the bytes out, or 'over' as soon as they pass `cap`. */
function inflatedSize(data: Buffer, cap: number): Promise<number | 'over'> {
  return new Promise((resolve, reject) => {
    const inflate = createInflateRaw({ chunkSize: 256 * 1024 })
    let total = 0
    inflate.on('data', (chunk: Buffer) => {
      total += chunk.length
      if (total > cap) {
        inflate.destroy()
        resolve('over')
      }
    })
    inflate.on('end', () => resolve(total))
    inflate.on('error', reject)
    inflate.end(data)
  })
}

/**
 * Refuses, before exceljs sees it, a workbook that is not a zip jszip would read, that declares
 * sizes beyond the limits, or whose parts inflate to other than what they declare (declared
 * sizes can lie; jszip only compares them after inflating everything). Each part is inflated
 * once here, counted and dropped, so memory stays flat; the entries are then the parts the
 * reader inflates again (streamWorkbookSheets). See docs/imports.md.
 */
export async function checkXlsxArchive(zip: Buffer, name: string, limits: ImportLimits): Promise<ZipEntry[]> {
  let entries: ZipEntry[]
  try {
    entries = readZipDirectory(zip, limits.maxEntries)
  } catch (error) {
    if (error instanceof TooManyEntriesError) throw refused(`压缩包内文件超过 ${error.limit} 个`)
    if (error instanceof NotAZipError) throw notXlsxError(name, zip)
    throw error
  }
  if (!entries.some((entry) => entry.name === 'xl/workbook.xml')) throw notXlsxError(name, zip)
  const problem = declaredSizeProblem(entries, zip.length, limits)
  if (problem) throw refused(problem)
  for (const entry of entries) {
    const data = zip.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize)
    let actual: number | 'over'
    try {
      actual = entry.method === 0 ? data.length : await inflatedSize(data, entry.uncompressedSize)
    } catch {
      throw notXlsxError(name, zip)
    }
    if (actual === 'over') throw refused(`「${entry.name}」实际解压出的数据多于它声明的 ${formatSize(entry.uncompressedSize)}`)
    if (actual !== entry.uncompressedSize) throw notXlsxError(name, zip)
  }
  return entries
}
