import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { scanLogDirectory } from './scan-logs.js'

/**
 * Every process of the test run (vitest's workers and the services they start) writes all its
 * log lines to a file of its own in one folder (LOG_CAPTURE_DIR, see src/logger.ts), and the
 * tests record there every text message they post; when the run ends, the lines are scanned for
 * the configured secrets, access tokens and typed texts, and a hit fails the run. Set
 * KEEP_LOG_CAPTURE=1 to keep the folder for a look.
 */
export default function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'bot-log-capture-'))
  process.env.LOG_CAPTURE_DIR = dir
  return () => {
    const started = performance.now()
    const { hits, lines, files, typedTexts } = scanLogDirectory(dir)
    const took = `${Math.round(performance.now() - started)} ms`
    if (process.env.KEEP_LOG_CAPTURE) console.log(`log capture kept in ${dir}`)
    else rmSync(dir, { recursive: true, force: true })
    if (hits.length > 0) {
      const shown = hits.slice(0, 20).map((h) => `  ${h.file}:${h.line}: ${h.what}`)
      // vitest reports an error thrown here but still exits 0 when every test passed.
      process.exitCode = 1
      throw new Error(`secrets or typed texts found in the test suite's logs (${hits.length} hits in ${lines} lines, ${typedTexts} typed texts):\n${shown.join('\n')}`)
    }
    console.log(`log scan: ${lines} log lines from ${files} processes, ${typedTexts} typed texts, nothing found (${took})`)
  }
}
