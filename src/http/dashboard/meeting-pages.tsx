import type Router from '@koa/router'
import { meetingTime } from '../../domain/meetings/agenda-message.js'
import { canSeeMeeting, meetingNotice, seesEveryMeeting } from '../../domain/meetings/meeting-service.js'
import { MeetingSchema } from '../../db/entities/index.js'
import { meetingDecisions, meetingRoll } from '../../read-model/dashboard-meetings.js'
import { meetingsFor } from '../../read-model/meetings.js'
import { html, idParam, notFound, refuse, type DashboardKit } from './dashboard-kit.js'
import { MeetingPage, meetingListExport, MeetingsPage, rollCallExport, type MeetingView } from './pages/meetings.js'
import { seesUnitLedger } from './who-sees.js'
import { sendTable, wantsXlsx } from './xlsx-export.js'

/**
 * 会议 (docs/dashboard.md, 会议): chat's 会议 (commands/meeting.ts) as pages — the same list
 * (meetingsFor), the same notice (meetingNotice), the same roll call (rollCall) and the same rule
 * (seesEveryMeeting, canSeeMeeting): 组织部 every meeting, anyone else those they are invited to.
 */
export function registerMeetingPages(router: Router, kit: DashboardKit): void {
  const { dataSource } = kit.options

  router.get('/dash/meetings', async (ctx) => {
    const who = await kit.signedIn(ctx)
    if (!who) return
    const { sender, now, today } = who
    if (!(await kit.campaignOrSay(ctx, today))) return
    const everyMeeting = seesEveryMeeting(sender)
    const meetings = await meetingsFor(dataSource, now, everyMeeting ? undefined : sender.person.id)
    const rows = meetings.map((m) => ({ id: m.id, title: m.title, when: meetingTime(m.startsAt, today), place: m.place, status: m.status }))
    const scope = everyMeeting ? '全部联席会议：即将召开的，及最近召开或取消的 5 次' : '您参加的联席会议：即将召开的，及最近召开或取消的 5 次'
    if (wantsXlsx(ctx)) return sendTable(ctx, meetingListExport(rows, everyMeeting ? '全部' : '本人参加'))
    html(ctx, MeetingsPage({ viewer: who.viewer, rows, scope, empty: everyMeeting ? '目前没有联席会议。召集会议请在企业微信中发送「会议 新建」。' : '您没有要参加的联席会议。' }))
  })

  router.get('/dash/meetings/:id', async (ctx) => {
    const who = await kit.signedIn(ctx)
    if (!who) return
    const { sender, now, today } = who
    if (!(await kit.campaignOrSay(ctx, today))) return
    const id = idParam(ctx.params.id)
    const meeting = id === null ? null : await dataSource.getRepository(MeetingSchema).findOneBy({ id })
    if (!meeting) return notFound(ctx)
    if (!(await canSeeMeeting(dataSource, sender, meeting.id))) {
      return refuse(ctx, 403, '无法查看会议', [`您不在会议 #${meeting.id} 的参会名单中。`, '会议详情对组织部（干部监督科）和该会议的参会人员开放；如需参加请联系组织部。'])
    }
    const [{ roll, people }, decisions, notice] = await Promise.all([meetingRoll(dataSource, meeting.id), meetingDecisions(dataSource, meeting.id), meetingNotice(dataSource, meeting, now, { full: true })])
    const view: MeetingView = {
      id: meeting.id,
      title: meeting.title,
      when: meetingTime(meeting.startsAt, today),
      place: meeting.place,
      status: meeting.status,
      notice,
      roll,
      people,
      minutes: meeting.minutes,
      decisions,
      today,
    }
    if (wantsXlsx(ctx)) return sendTable(ctx, rollCallExport(view))
    html(ctx, MeetingPage({ viewer: who.viewer, view, unitLink: (unitId) => (seesUnitLedger(sender, unitId) ? `/dash/units/${unitId}` : null) }))
  })
}
