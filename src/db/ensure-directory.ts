import { existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * Creates a folder and its missing parents one level at a time. Node's own
 * mkdirSync(…, { recursive: true }) never returns for a path under /proc (it retries ENOENT
 * forever), which would hang start-up instead of failing with a message.
 */
export function ensureDirectory(dir: string): void {
  const missing: string[] = []
  for (let current = dir; !existsSync(current); current = dirname(current)) {
    missing.unshift(current)
    if (dirname(current) === current) break
  }
  for (const folder of missing) mkdirSync(folder)
}
