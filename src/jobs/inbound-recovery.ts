import { recoverStuckInbound } from '../bot/recover-inbound.js'
import { defineJob } from './scheduled-job.js'

/** Every minute: messages a stopped process left unanswered are answered (docs/concurrency.md). */
export const inboundRecovery = defineJob({
  name: 'inbound-recovery',
  cron: () => '17 * * * * *',
  create:
    ({ dataSource, logger }) =>
    async (now) => {
      const recovered = await recoverStuckInbound(dataSource, now)
      if (recovered > 0) logger.warn({ recovered }, 'messages left unanswered by a stopped process were answered')
      return { written: recovered }
    },
})
