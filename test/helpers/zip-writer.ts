import { crc32, deflateRawSync } from 'node:zlib'

// A minimal zip writer (APPNOTE 4.3): local headers and data, central directory, end record.
export interface Part {
  name: string
  deflated: Buffer
  size: number
  crc: number
  /** What the directory says the part expands to, when it lies. */
  declaredSize?: number
}

export function part(name: string, text: string): Part {
  const bytes = Buffer.from(text)
  return { name, deflated: deflateRawSync(bytes), size: bytes.length, crc: crc32(bytes) }
}

function header(length: number, signature: number): Buffer {
  const bytes = Buffer.alloc(length)
  bytes.writeUInt32LE(signature, 0)
  return bytes
}

/** With zip64, as ZIP64 (APPNOTE 4.3.14, 4.5.3): sizes in extra fields, the directory found through a ZIP64 record and locator. */
export function zip(parts: Part[], options: { zip64?: boolean } = {}): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const p of parts) {
    const name = Buffer.from(p.name)
    const size = p.declaredSize ?? p.size
    const extra = Buffer.alloc(options.zip64 ? 20 : 0)
    if (options.zip64) {
      extra.writeUInt16LE(0x0001, 0)
      extra.writeUInt16LE(16, 2)
      extra.writeBigUInt64LE(BigInt(size), 4)
      extra.writeBigUInt64LE(BigInt(p.deflated.length), 12)
    }
    const local = header(30, 0x04034b50)
    local.writeUInt16LE(45, 4)
    local.writeUInt16LE(0x0800, 6)
    local.writeUInt16LE(8, 8)
    local.writeUInt32LE(p.crc, 14)
    local.writeUInt32LE(options.zip64 ? 0xffffffff : p.deflated.length, 18)
    local.writeUInt32LE(options.zip64 ? 0xffffffff : size, 22)
    local.writeUInt16LE(name.length, 26)
    local.writeUInt16LE(extra.length, 28)
    const central = header(46, 0x02014b50)
    central.writeUInt16LE(45, 4)
    central.writeUInt16LE(45, 6)
    central.writeUInt16LE(0x0800, 8)
    central.writeUInt16LE(8, 10)
    central.writeUInt32LE(p.crc, 16)
    central.writeUInt32LE(options.zip64 ? 0xffffffff : p.deflated.length, 20)
    central.writeUInt32LE(options.zip64 ? 0xffffffff : size, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt16LE(extra.length, 30)
    central.writeUInt32LE(offset, 42)
    locals.push(local, name, extra, p.deflated)
    centrals.push(central, name, extra)
    offset += 30 + name.length + extra.length + p.deflated.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  if (!options.zip64) {
    end.writeUInt16LE(parts.length, 8)
    end.writeUInt16LE(parts.length, 10)
    end.writeUInt32LE(directory.length, 12)
    end.writeUInt32LE(offset, 16)
    return Buffer.concat([...locals, directory, end])
  }
  end.fill(0xff, 4, 20)
  const record = Buffer.alloc(56)
  record.writeUInt32LE(0x06064b50, 0)
  record.writeBigUInt64LE(44n, 4)
  record.writeUInt16LE(45, 12)
  record.writeUInt16LE(45, 14)
  record.writeBigUInt64LE(BigInt(parts.length), 24)
  record.writeBigUInt64LE(BigInt(parts.length), 32)
  record.writeBigUInt64LE(BigInt(directory.length), 40)
  record.writeBigUInt64LE(BigInt(offset), 48)
  const locator = Buffer.alloc(20)
  locator.writeUInt32LE(0x07064b50, 0)
  locator.writeBigUInt64LE(BigInt(offset + directory.length), 8)
  locator.writeUInt32LE(1, 16)
  return Buffer.concat([...locals, directory, record, locator, end])
}
