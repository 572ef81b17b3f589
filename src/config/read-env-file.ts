import { existsSync, readFileSync } from 'node:fs'
import { parseEnv } from 'node:util'

/**
 * Merges an optional `.env` file under the process environment: a variable set in the
 * environment wins over the file. A missing file is not an error.
 */
export function withEnvFile(env: NodeJS.ProcessEnv, path = '.env'): Record<string, string | undefined> {
  if (!existsSync(path)) return { ...env }
  return { ...parseEnv(readFileSync(path, 'utf8')), ...env }
}
