import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { DataSource } from 'typeorm'
import { openDatabase } from '../db/open-database.js'
import { loadSender, type Sender } from '../bot/load-sender.js'
import { orgAdmins } from '../domain/roster/org-admins.js'
import { UserFacingError } from '../errors.js'
import { meetingTime } from '../domain/meetings/agenda-message.js'
import { cancelMeeting, changeMeeting, createMeeting, meetingNotice, meetingOrFail } from '../domain/meetings/meeting-service.js'
import { formatRoll, meetingsFor, rollCall } from '../read-model/meetings.js'
import { beijingDate, beijingInstant } from '../time/calendar-date.js'
import { exitCode, type CliContext } from './program.js'

const AS = ['--as <账号>', '操作人的企业微信账号（默认为第一位组织部管理员）'] as const

function parseAt(at: string | undefined, command: Command): Date {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2})$/.exec(at ?? '')
  const startsAt = match ? beijingInstant(match[1]!, Number(match[2]), Number(match[3])) : null
  if (!startsAt || Number.isNaN(startsAt.getTime())) command.error(`--at「${at ?? ''}」不是有效的时间。`)
  return startsAt
}

/** The meeting number a command names. */
function meetingId(text: string, command: Command): number {
  const id = Number(text)
  if (!Number.isInteger(id) || id <= 0) command.error(`会议编号「${text}」应为正整数（见 meeting list）。`)
  return id
}

/** The person the command acts as: --as, or the first org_admin. */
async function operator(ds: DataSource, userid: string | undefined): Promise<Sender> {
  const id = userid ?? (await orgAdmins(ds))[0]?.userid
  const sender = id ? await loadSender(ds, id) : null
  if (!sender) throw new UserFacingError('no_convener', id ? `花名册中没有「${id}」。` : '花名册中没有组织部管理员（org_admin），请用 --as 指定操作人。')
  return sender
}

type WithDatabase = (work: (ds: DataSource, at: Date) => Promise<void>) => Promise<number>

/** `meeting create|list|show|change|cancel`: joint meetings from the terminal (topics from a text file). */
export function addMeetingCommand(program: Command, cli: CliContext): void {
  const meeting = program
    .command('meeting')
    .description('联席会议：召集、列出、详情、改期或改地点、取消（变更和取消立即通知参会人）')
  /** Opens the database for one action, and closes it whatever happens. */
  const withDatabase: WithDatabase = async (work) => {
    const dataSource = await openDatabase(cli.config().database, cli.logger())
    try {
      await work(dataSource, new Date())
      return 0
    } finally {
      await dataSource.destroy()
    }
  }
  addCreate(meeting, cli, withDatabase)
  addList(meeting, cli, withDatabase)
  addShow(meeting, cli, withDatabase)
  addChange(meeting, cli, withDatabase)
  addCancel(meeting, cli, withDatabase)
}

function addCreate(meeting: Command, cli: CliContext, withDatabase: WithDatabase): void {
  meeting
    .command('create')
    .description('召集联席会议（立即通知参会人）')
    .option('--at <时间>', '北京时间 "YYYY-MM-DD HH:MM"（必填）')
    .option('--place <地点>', '地点（必填）')
    .option('--topics <议题文件>', '文本文件，每行一个议题（必填）')
    .option('--title <名称>', '会议名称')
    .option(...AS)
    .addHelpText('after', '\n例：npm run cli -- meeting create --at "2015-09-08 15:00" --place 县委第三会议室 --topics topics.txt')
    .action(
      exitCode(async (options: { at?: string; place?: string; topics?: string; title?: string; as?: string }, command: Command) => {
        const startsAt = parseAt(options.at, command)
        if (!options.place) command.error('缺少 --place。')
        if (!options.topics) command.error('缺少 --topics（每行一个议题的文本文件）。')
        let text: string
        try {
          // `npm run` runs in the package folder; a relative path means the folder the command was typed in.
          text = readFileSync(resolve(process.env.INIT_CWD ?? process.cwd(), options.topics), 'utf8')
        } catch (error) {
          throw new UserFacingError('bad_arguments', `读不了议题文件 ${options.topics}：${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
        }
        const topics = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim().replace(/^\d+[.、．)）]\s*/, '')).filter(Boolean)
        const input = { startsAt, place: options.place, topics, title: options.title }
        return withDatabase(async (ds, at) => {
          const { meeting, notified } = await createMeeting(ds, await operator(ds, options.as), input, at)
          cli.print(`已召集联席会议 #${meeting.id}：${meetingTime(meeting.startsAt, beijingDate(at))}，${meeting.place}；议题 ${topics.length} 项，已通知 ${notified.length} 人（已写入发件箱）。`)
        })
      }),
    )
}

function addList(meeting: Command, cli: CliContext, withDatabase: WithDatabase): void {
  meeting
    .command('list')
    .description('列出联席会议及回复情况')
    .action(
      exitCode(() =>
        withDatabase(async (ds, at) => {
          const meetings = await meetingsFor(ds, at)
          if (meetings.length === 0) cli.print('还没有联席会议。')
          for (const m of meetings) {
            cli.print(`#${m.id} ${meetingTime(m.startsAt, beijingDate(at))} ${m.place} ${m.status === 'cancelled' ? '（已取消）' : m.status === 'held' ? '（已召开）' : ''}`)
            cli.print(`  ${formatRoll(await rollCall(ds, m.id)).replace(/\n/g, '；')}`)
          }
        }),
      ),
    )
}

function addShow(meeting: Command, cli: CliContext, withDatabase: WithDatabase): void {
  meeting
    .command('show')
    .description('一次会议的详情及回复情况')
    .argument('<编号>', '会议编号（见 meeting list）')
    .action(
      exitCode(async (text: string, _options: object, command: Command) => {
        const id = meetingId(text, command)
        return withDatabase(async (ds, at) => {
          const found = await meetingOrFail(ds, id)
          cli.print((await meetingNotice(ds, found, at, { full: true })).replace(/\*\*/g, ''))
          cli.print(`回复情况：\n${formatRoll(await rollCall(ds, id))}`)
        })
      }),
    )
}

function addChange(meeting: Command, cli: CliContext, withDatabase: WithDatabase): void {
  meeting
    .command('change')
    .description('改期或改地点（立即通知参会人）')
    .argument('<编号>', '会议编号（见 meeting list）')
    .option('--at <时间>', '新的时间，北京时间 "YYYY-MM-DD HH:MM"')
    .option('--place <地点>', '新的地点')
    .option(...AS)
    .addHelpText('after', '\n例：npm run cli -- meeting change 1 --at "2015-09-09 10:00" --place 县委第二会议室')
    .action(
      exitCode(async (text: string, options: { at?: string; place?: string; as?: string }, command: Command) => {
        const id = meetingId(text, command)
        if (!options.at && !options.place) command.error('请给出新的 --at 或 --place。')
        const change = { ...(options.at ? { startsAt: parseAt(options.at, command) } : {}), ...(options.place ? { place: options.place } : {}) }
        return withDatabase(async (ds, at) => {
          const { meeting, notified } = await changeMeeting(ds, await operator(ds, options.as), id, change, at)
          cli.print(`会议 #${id} 已改为 ${meetingTime(meeting.startsAt, beijingDate(at))}，${meeting.place}；已通知 ${notified.length} 人。`)
        })
      }),
    )
}

function addCancel(meeting: Command, cli: CliContext, withDatabase: WithDatabase): void {
  meeting
    .command('cancel')
    .description('取消会议（立即通知参会人）')
    .argument('<编号>', '会议编号（见 meeting list）')
    .option('--reason <原因>', '取消的原因（写进通知）')
    .option(...AS)
    .addHelpText('after', '\n例：npm run cli -- meeting cancel 1 --reason 与巡察冲突')
    .action(
      exitCode(async (text: string, options: { reason?: string; as?: string }, command: Command) => {
        const id = meetingId(text, command)
        return withDatabase(async (ds, at) => {
          const { notified } = await cancelMeeting(ds, await operator(ds, options.as), id, options.reason ?? '', at)
          cli.print(`已取消会议 #${id}，已通知 ${notified.length} 人。`)
        })
      }),
    )
}
