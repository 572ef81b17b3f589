import { pruneEvidence } from '../domain/evidence/evidence-retention.js'
import { defineJob } from './scheduled-job.js'

/** Every night at 03:17 Beijing time: evidence past its campaign's retention is deleted (docs/evidence.md, Retention). */
export const evidenceRetention = defineJob({
  name: 'evidence-retention',
  cron: () => '0 17 3 * * *',
  create:
    ({ dataSource, logger }) =>
    async (now) => {
      const pruned = await pruneEvidence(dataSource, now)
      if (pruned.evidence > 0) logger.info(pruned, 'evidence past its retention deleted')
      return { written: 0, ...pruned }
    },
})
