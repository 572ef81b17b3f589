import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { DataSource } from 'typeorm'
import type { Config } from '../config/load-config.js'
import { openDatabase } from '../db/open-database.js'
import { loadSender, type Sender } from '../bot/load-sender.js'
import { orgAdmins } from '../domain/roster/org-admins.js'
import { UserFacingError } from '../errors.js'
import type { Logger } from '../logger.js'
import { meetingTime } from '../meetings/agenda-message.js'
import { cancelMeeting, changeMeeting, createMeeting, formatRoll, listMeetings, meetingNotice, meetingOrFail, rollCall } from '../meetings/meeting-service.js'
import { beijingDate, beijingInstant } from '../time/calendar-date.js'

const USAGE = `用法：npm run cli -- meeting create --at "YYYY-MM-DD HH:MM" --place 地点 --topics 议题文件 [--title 名称] [--as 召集人账号]
      npm run cli -- meeting list
      npm run cli -- meeting show <编号>
      npm run cli -- meeting change <编号> [--at "YYYY-MM-DD HH:MM"] [--place 地点] [--as 账号]
      npm run cli -- meeting cancel <编号> [--reason 原因] [--as 账号]
议题文件每行一个议题；操作人默认为第一位组织部管理员。变更和取消会立即通知参会人。
例：npm run cli -- meeting create --at "2015-09-08 15:00" --place 县委第三会议室 --topics topics.txt`

const ACTIONS = ['create', 'list', 'show', 'change', 'cancel'] as const

function parseAt(at: string | undefined): Date {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2})$/.exec(at ?? '')
  const startsAt = match ? beijingInstant(match[1]!, Number(match[2]), Number(match[3])) : null
  if (!startsAt || Number.isNaN(startsAt.getTime())) throw new UserFacingError('bad_arguments', `--at「${at ?? ''}」不是有效的时间。\n${USAGE}`)
  return startsAt
}

/** The person the command acts as: --as, or the first org_admin. */
async function operator(ds: DataSource, userid: string | undefined): Promise<Sender> {
  const id = userid ?? (await orgAdmins(ds))[0]?.userid
  const sender = id ? await loadSender(ds, id) : null
  if (!sender) throw new UserFacingError('no_convener', id ? `花名册中没有「${id}」。` : '花名册中没有组织部管理员（org_admin），请用 --as 指定操作人。')
  return sender
}

/** `meeting create|list|show|change|cancel`: joint meetings from the terminal (topics from a text file). */
export async function runMeetingCommand(args: string[], config: Readonly<Config>, logger: Logger, print: (line: string) => void, now = () => new Date()): Promise<number> {
  const [action, ...rest] = args
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) {
    print(USAGE)
    return action === undefined ? 0 : 2
  }
  let parsed: { values: { at?: string; place?: string; topics?: string; title?: string; as?: string; reason?: string }; positionals: string[] }
  try {
    parsed = parseArgs({
      args: rest,
      options: { at: { type: 'string' }, place: { type: 'string' }, topics: { type: 'string' }, title: { type: 'string' }, as: { type: 'string' }, reason: { type: 'string' } },
      allowPositionals: true,
    })
  } catch (error) {
    throw new UserFacingError('bad_arguments', `参数有误：${(error as Error).message}\n${USAGE}`)
  }
  const { values } = parsed
  let id = 0
  if (action === 'show' || action === 'change' || action === 'cancel') {
    id = Number(parsed.positionals[0])
    if (!Number.isInteger(id) || id <= 0) throw new UserFacingError('bad_arguments', `缺少会议编号。\n${USAGE}`)
    if (action === 'change' && !values.at && !values.place) throw new UserFacingError('bad_arguments', `请给出新的 --at 或 --place。\n${USAGE}`)
  }
  let input: { startsAt: Date; place: string; topics: string[]; title?: string } | undefined
  if (action === 'create') {
    const startsAt = parseAt(values.at)
    if (!values.place) throw new UserFacingError('bad_arguments', `缺少 --place。\n${USAGE}`)
    if (!values.topics) throw new UserFacingError('bad_arguments', `缺少 --topics（每行一个议题的文本文件）。\n${USAGE}`)
    let text: string
    try {
      // `npm run` runs in the package folder; a relative path means the folder the command was typed in.
      text = readFileSync(resolve(process.env.INIT_CWD ?? process.cwd(), values.topics), 'utf8')
    } catch (error) {
      throw new UserFacingError('bad_arguments', `读不了议题文件 ${values.topics}：${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
    const topics = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim().replace(/^\d+[.、．)）]\s*/, '')).filter(Boolean)
    input = { startsAt, place: values.place, topics, title: values.title }
  }
  const change = action === 'change' ? { ...(values.at ? { startsAt: parseAt(values.at) } : {}), ...(values.place ? { place: values.place } : {}) } : undefined
  const dataSource = await openDatabase(config.database, logger)
  try {
    const at = now()
    const today = beijingDate(at)
    switch (action) {
      case 'list': {
        const meetings = await listMeetings(dataSource, at)
        if (meetings.length === 0) print('还没有联席会议。')
        for (const m of meetings) {
          print(`#${m.id} ${meetingTime(m.startsAt, today)} ${m.place} ${m.status === 'cancelled' ? '（已取消）' : m.status === 'held' ? '（已召开）' : ''}`)
          print(`  ${formatRoll(await rollCall(dataSource, m.id)).replace(/\n/g, '；')}`)
        }
        return 0
      }
      case 'show': {
        const meeting = await meetingOrFail(dataSource, id)
        print((await meetingNotice(dataSource, meeting, at, { full: true })).replace(/\*\*/g, ''))
        print(`回复情况：\n${formatRoll(await rollCall(dataSource, id))}`)
        return 0
      }
      case 'create': {
        const { meeting, notified } = await createMeeting(dataSource, await operator(dataSource, values.as), input!, at)
        print(`已召集联席会议 #${meeting.id}：${meetingTime(meeting.startsAt, today)}，${meeting.place}；议题 ${input!.topics.length} 项，已通知 ${notified.length} 人（已写入发件箱）。`)
        return 0
      }
      case 'change': {
        const { meeting, notified } = await changeMeeting(dataSource, await operator(dataSource, values.as), id, change!, at)
        print(`会议 #${id} 已改为 ${meetingTime(meeting.startsAt, today)}，${meeting.place}；已通知 ${notified.length} 人。`)
        return 0
      }
      case 'cancel': {
        const { notified } = await cancelMeeting(dataSource, await operator(dataSource, values.as), id, values.reason ?? '', at)
        print(`已取消会议 #${id}，已通知 ${notified.length} 人。`)
        return 0
      }
    }
    return 2
  } finally {
    await dataSource.destroy()
  }
}
