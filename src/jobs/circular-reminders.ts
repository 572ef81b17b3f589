import { sweepCircularReminders } from '../domain/circulars/circular-reminders.js'
import { defineJob } from './scheduled-job.js'

/** The reminder sweep as a scheduled job: every 10 minutes, off the hour (WeCom advises against :00 and :30). */
export const circularReminders = defineJob({
  name: 'circular-reminders',
  cron: () => '3,13,23,33,43,53 * * * *',
  create:
    ({ dataSource, config }) =>
    async (now) => {
      const { reminded } = await sweepCircularReminders(dataSource, now, config.circularRemindAfterHours)
      return { written: reminded }
    },
})
