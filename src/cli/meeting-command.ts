import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { Config } from '../config/load-config.js'
import { openDatabase } from '../db/open-database.js'
import { loadSender } from '../bot/load-sender.js'
import { orgAdmins } from '../domain/roster/org-admins.js'
import { UserFacingError } from '../errors.js'
import type { Logger } from '../logger.js'
import { meetingTime } from '../meetings/agenda-message.js'
import { createMeeting, formatRoll, listMeetings, rollCall } from '../meetings/meeting-service.js'
import { beijingDate } from '../time/calendar-date.js'

const USAGE = `用法：npm run cli -- meeting create --at "YYYY-MM-DD HH:MM" --place 地点 --topics 议题文件 [--title 名称] [--as 召集人账号]
      npm run cli -- meeting list
议题文件每行一个议题；召集人默认为第一位组织部管理员。
例：npm run cli -- meeting create --at "2015-09-08 15:00" --place 县委第三会议室 --topics topics.txt`

/** `meeting create|list`: a joint meeting called from the terminal (topics from a text file), or the list. */
export async function runMeetingCommand(args: string[], config: Readonly<Config>, logger: Logger, print: (line: string) => void, now = () => new Date()): Promise<number> {
  const [action, ...rest] = args
  if (action !== 'create' && action !== 'list') {
    print(USAGE)
    return action === undefined ? 0 : 2
  }
  let values: { at?: string; place?: string; topics?: string; title?: string; as?: string }
  try {
    values = parseArgs({ args: rest, options: { at: { type: 'string' }, place: { type: 'string' }, topics: { type: 'string' }, title: { type: 'string' }, as: { type: 'string' } } }).values
  } catch (error) {
    throw new UserFacingError('bad_arguments', `参数有误：${(error as Error).message}\n${USAGE}`)
  }
  let input: { startsAt: Date; place: string; topics: string[]; title?: string } | undefined
  if (action === 'create') {
    const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2})$/.exec(values.at ?? '')
    const startsAt = match ? new Date(`${match[1]}T${match[2]!.padStart(2, '0')}:${match[3]}:00+08:00`) : null
    if (!startsAt || Number.isNaN(startsAt.getTime())) throw new UserFacingError('bad_arguments', `--at「${values.at ?? ''}」不是有效的时间。\n${USAGE}`)
    if (!values.place) throw new UserFacingError('bad_arguments', `缺少 --place。\n${USAGE}`)
    if (!values.topics) throw new UserFacingError('bad_arguments', `缺少 --topics（每行一个议题的文本文件）。\n${USAGE}`)
    let text: string
    try {
      text = readFileSync(values.topics, 'utf8')
    } catch (error) {
      throw new UserFacingError('bad_arguments', `读不了议题文件 ${values.topics}：${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
    const topics = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim().replace(/^\d+[.、．)）]\s*/, '')).filter(Boolean)
    input = { startsAt, place: values.place, topics, title: values.title }
  }
  const dataSource = await openDatabase(config.database, logger)
  try {
    const at = now()
    if (action === 'list') {
      const meetings = await listMeetings(dataSource, at)
      if (meetings.length === 0) print('还没有联席会议。')
      for (const m of meetings) {
        print(`#${m.id} ${meetingTime(m.startsAt, beijingDate(at))} ${m.place} ${m.status === 'cancelled' ? '（已取消）' : m.status === 'held' ? '（已召开）' : ''}`)
        print(`  ${formatRoll(await rollCall(dataSource, m.id)).replace(/\n/g, '；')}`)
      }
      return 0
    }
    const userid = values.as ?? (await orgAdmins(dataSource))[0]?.userid
    const sender = userid ? await loadSender(dataSource, userid) : null
    if (!sender) throw new UserFacingError('no_convener', userid ? `花名册中没有「${userid}」。` : '花名册中没有组织部管理员（org_admin），请用 --as 指定召集人。')
    const { meeting, notified } = await createMeeting(dataSource, sender, input!, at)
    print(`已召集联席会议 #${meeting.id}：${meetingTime(meeting.startsAt, beijingDate(at))}，${meeting.place}；议题 ${input!.topics.length} 项，已通知 ${notified.length} 人（已写入发件箱）。`)
    return 0
  } finally {
    await dataSource.destroy()
  }
}
