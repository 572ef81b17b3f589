import type { DataSource } from 'typeorm'
import { downloadDueEvidence, type DownloadSettings } from '../domain/evidence/download-evidence.js'

export interface EvidenceWorker {
  start(): void
  /** Finishes the downloads in flight, then resolves. */
  stop(): Promise<void>
  /** Looks for due evidence now instead of at the next poll (tests, and right after a media message). */
  wake(): void
}

/** How often the worker looks for evidence to download: "soon after it arrives" (docs/evidence.md, Keeping). */
export const EVIDENCE_POLL_MS = 2000

/**
 * Downloads evidence in the background, on every instance (docs/evidence.md, Keeping): rows are
 * claimed one by one, so instances share the work. A round that fails (the database away) is
 * logged and the next poll tries again.
 */
export function createEvidenceWorker(dataSource: DataSource, settings: DownloadSettings, now: () => Date, pollMs = EVIDENCE_POLL_MS): EvidenceWorker {
  let stopping = false
  let running: Promise<void> | undefined
  let wake: (() => void) | undefined
  async function loop(): Promise<void> {
    while (!stopping) {
      let busy = false
      try {
        const round = await downloadDueEvidence(dataSource, settings, now())
        busy = round.stored + round.retried + round.refused > 0
      } catch (error) {
        settings.logger.error({ err: error }, 'evidence download round failed')
      }
      if (stopping) break
      // A full round may have left more: go on at once.
      if (!busy) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollMs)
          wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
        wake = undefined
      }
    }
  }
  return {
    start() {
      if (running) return
      stopping = false
      running = loop()
    },
    async stop() {
      stopping = true
      wake?.()
      await running
      running = undefined
    },
    wake: () => wake?.(),
  }
}
