import { meetingReminderSweep } from '../domain/meetings/meeting-reminders.js'
import { defineJob } from './scheduled-job.js'

/** Every five minutes (off the hour and half hour, as WeCom asks): meeting reminders. */
export const meetingReminders = defineJob({
  name: 'meeting-reminders',
  cron: () => '2-59/5 * * * *',
  create:
    ({ dataSource, config }) =>
    async (now) => ({ written: await meetingReminderSweep(dataSource, now, config.meetingReminderTime) }),
})
