const MB = 1024 * 1024

/** What an import reads at most, checked before parsing; the reasons are in docs/imports.md. */
export interface ImportLimits {
  /** The largest .xlsx or .csv file read, bytes; default 50 MB (IMPORT_MAX_MB). */
  maxFileBytes: number
  /** The most a workbook's parts may expand to together, bytes; default 1024 MB. */
  maxUnzippedBytes: number
  /** The most one part may expand to, bytes; default 500 MB (parts are streamed, but none of a ledger is this large). */
  maxPartBytes: number
  /** The most a part, or the whole file, may expand by; default 100-fold. */
  maxRatio: number
  /** A part (or a workbook) expanding to less than this is not judged by its ratio, bytes; default 10 MB. */
  ratioFloorBytes: number
  /** The most entries in a workbook's zip; default 10,000 (Excel writes a few dozen). */
  maxEntries: number
}

export const DEFAULT_IMPORT_LIMITS: Readonly<ImportLimits> = Object.freeze({
  maxFileBytes: 50 * MB,
  maxUnzippedBytes: 1024 * MB,
  maxPartBytes: 500 * MB,
  maxRatio: 100,
  ratioFloorBytes: 10 * MB,
  maxEntries: 10_000,
})

/** "300 KB", "2.5 MB", "340 MB": sizes as people read them in a message. */
export function formatSize(bytes: number): string {
  if (bytes < MB) return `${Math.max(1, Math.ceil(bytes / 1024))} KB`
  const megabytes = bytes / MB
  return `${megabytes < 10 ? Number(megabytes.toFixed(1)) : Math.round(megabytes)} MB`
}
