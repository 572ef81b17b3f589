import { createHash } from 'node:crypto'

/**
 * The form under which two problem texts of one unit are the same problem: NFKC (full-width
 * letters, digits and punctuation become their half-width forms) with all whitespace removed,
 * hashed (SHA-256, hex) so that a unique index can cover it — `problem` is TEXT, which MariaDB
 * cannot index whole (docs/concurrency.md).
 */
export function problemKey(problem: string): string {
  return createHash('sha256').update(problem.normalize('NFKC').replace(/\s+/g, '')).digest('hex')
}
