import { sendMonthEndReport } from '../domain/reports/month-end-report.js'
import { beijingDate } from '../time/calendar-date.js'
import { defineJob } from './scheduled-job.js'

/** Every 10 minutes; sends only on the month's report day from MONTHLY_REPORT_TIME on (see sendMonthEndReport). */
export const monthEndReport = defineJob({
  name: 'month-end-report',
  cron: () => '3-59/10 * * * *',
  create: ({ dataSource, logger, config }) => {
    let warnedNoAdmins = ''
    return async (now) => {
      const outcome = await sendMonthEndReport(dataSource, now, config.monthlyReportTime)
      if (outcome.sent) return { written: 2, ...outcome }
      if (outcome.reason === 'no_admins' && warnedNoAdmins !== beijingDate(now)) {
        warnedNoAdmins = beijingDate(now)
        logger.warn('monthly report workbook not sent: nobody holds org_admin (组织部管理员)')
      }
      return { written: 0 }
    }
  },
})
