/** One file inside a zip archive, as its central directory declares it. */
export interface ZipEntry {
  /** As the local header writes it (what exceljs looks up), UTF-8. */
  name: string
  /** 0 stored, 8 deflated: the only two jszip (inside exceljs) reads. */
  method: 0 | 8
  compressedSize: number
  /** Declared, not yet proved: see docs/imports.md. */
  uncompressedSize: number
  /** Where the compressed bytes start in the archive. */
  dataOffset: number
}

/** The bytes are not a zip archive that jszip would read. */
export class NotAZipError extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'NotAZipError'
  }
}

const EOCD = 0x06054b50
const ZIP64_LOCATOR = 0x07064b50
const ZIP64_EOCD = 0x06064b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50
const MAX16 = 0xffff
const MAX32 = 0xffffffff

/**
 * Reads a zip archive's central directory (PKWARE APPNOTE 4.3) the way jszip does, so that the
 * entries checked here are the entries exceljs inflates: the last end-of-central-directory
 * record, ZIP64 records and extra fields, entries read while their signature follows, and each
 * entry's data placed after its local header. Where jszip would guess (bytes prepended to the
 * archive, a misplaced ZIP64 record) this refuses instead. Sizes are read, nothing is inflated.
 */
export function readZipDirectory(zip: Buffer, maxEntries: number): ZipEntry[] {
  const eocd = lastSignature(zip, EOCD)
  if (eocd < 0) throw new NotAZipError('no end of central directory')
  need(zip, eocd, 22)
  let records = zip.readUInt16LE(eocd + 10)
  let size = zip.readUInt32LE(eocd + 12)
  let offset = zip.readUInt32LE(eocd + 16)
  let expectedEnd = offset + size
  const zip64 = [4, 6, 8, 10].some((at) => zip.readUInt16LE(eocd + at) === MAX16) || size === MAX32 || offset === MAX32
  if (zip64) {
    // jszip takes the last locator signature in the file: it must be the one before the record.
    const locator = lastSignature(zip, ZIP64_LOCATOR)
    if (locator < 0 || locator !== eocd - 20) throw new NotAZipError('no ZIP64 locator before the end of central directory')
    const record = uint64(zip, locator + 8)
    need(zip, record, 56)
    if (zip.readUInt32LE(record) !== ZIP64_EOCD) throw new NotAZipError('misplaced ZIP64 end of central directory')
    records = uint64(zip, record + 32)
    size = uint64(zip, record + 40)
    offset = uint64(zip, record + 48)
    expectedEnd = offset + size + 12 + uint64(zip, record + 4) + 20
  }
  if (expectedEnd !== eocd) throw new NotAZipError('central directory not where the archive says')
  const entries: ZipEntry[] = []
  for (let at = offset; at + 4 <= zip.length && zip.readUInt32LE(at) === CENTRAL; ) {
    if (entries.length >= maxEntries) throw new TooManyEntriesError(maxEntries)
    need(zip, at, 46)
    const { entry, next } = centralEntry(zip, at)
    entries.push(entry)
    at = next
  }
  if (entries.length === 0 && records !== 0) throw new NotAZipError('no central directory entries')
  return entries
}

/** More entries than any workbook has: refused before reading them all. */
export class TooManyEntriesError extends NotAZipError {
  constructor(readonly limit: number) {
    super(`more than ${limit} entries`)
    this.name = 'TooManyEntriesError'
  }
}

function centralEntry(zip: Buffer, at: number): { entry: ZipEntry; next: number } {
  const flags = zip.readUInt16LE(at + 8)
  const method = zip.readUInt16LE(at + 10)
  let compressedSize = zip.readUInt32LE(at + 20)
  let uncompressedSize = zip.readUInt32LE(at + 24)
  const nameLength = zip.readUInt16LE(at + 28)
  const extraLength = zip.readUInt16LE(at + 30)
  const commentLength = zip.readUInt16LE(at + 32)
  let localOffset = zip.readUInt32LE(at + 42)
  if (flags & 1) throw new NotAZipError('encrypted entry')
  if (method !== 0 && method !== 8) throw new NotAZipError(`compression method ${method}`)
  const extraStart = at + 46 + nameLength
  need(zip, extraStart, extraLength + commentLength)
  const zip64 = extraField(zip, extraStart, extraStart + extraLength, 0x0001)
  if (zip64) {
    // Present only for the fields that overflowed, in this order (APPNOTE 4.5.3).
    let field = zip64.start
    const next = () => {
      if (field + 8 > zip64.end) throw new NotAZipError('short ZIP64 extra field')
      field += 8
      return uint64(zip, field - 8)
    }
    if (uncompressedSize === MAX32) uncompressedSize = next()
    if (compressedSize === MAX32) compressedSize = next()
    if (localOffset === MAX32) localOffset = next()
  }
  need(zip, localOffset, 30)
  if (zip.readUInt32LE(localOffset) !== LOCAL) throw new NotAZipError('no local header where the directory says')
  const localNameLength = zip.readUInt16LE(localOffset + 26)
  const dataOffset = localOffset + 30 + localNameLength + zip.readUInt16LE(localOffset + 28)
  need(zip, dataOffset, compressedSize)
  const name = zip.toString('utf8', localOffset + 30, localOffset + 30 + localNameLength)
  return { entry: { name, method, compressedSize, uncompressedSize, dataOffset }, next: extraStart + extraLength + commentLength }
}

/** The last extra field with this id (later ones win, as in jszip); headers read while 4 bytes remain before the end. */
function extraField(zip: Buffer, start: number, end: number, id: number): { start: number; end: number } | undefined {
  let found: { start: number; end: number } | undefined
  for (let at = start; at + 4 < end; ) {
    const length = zip.readUInt16LE(at + 2)
    need(zip, at + 4, length)
    if (zip.readUInt16LE(at) === id) found = { start: at + 4, end: at + 4 + length }
    at += 4 + length
  }
  return found
}

/** The last occurrence of a 4-byte signature, searched within the 64 KiB a zip comment can take (and a ZIP64 locator). */
function lastSignature(zip: Buffer, signature: number): number {
  const stop = Math.max(0, zip.length - 22 - MAX16 - 20)
  for (let at = zip.length - 4; at >= stop; at--) if (zip.readUInt32LE(at) === signature) return at
  return -1
}

function uint64(zip: Buffer, at: number): number {
  need(zip, at, 8)
  const value = zip.readBigUInt64LE(at)
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new NotAZipError('size beyond 2^53')
  return Number(value)
}

function need(zip: Buffer, at: number, length: number): void {
  if (at < 0 || at + length > zip.length) throw new NotAZipError('truncated archive')
}
