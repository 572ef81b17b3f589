import { inertLines, inertText } from '../src/wecom/inert-text.js'
import type { CommandArgs } from '../src/bot/command-args.js'
import { MAX_LINES, quoteTyped, withinLimit } from '../src/domain/text/text-limits.js'
import { defineCommand, type CommandContext } from '../src/bot/define-command.js'
import { parseDate, parseItemNumber, readDate, withDateReading, type DateRead } from '../src/bot/parse-args.js'
import { formatRoll, meetingsFor, rollCall } from '../src/read-model/meetings.js'
import { RefusalError, UserFacingError } from '../src/errors.js'
import { meetingTime } from '../src/domain/meetings/agenda-message.js'
import {
  answerMeeting,
  cancelMeeting,
  canSeeMeeting,
  changeMeeting,
  createMeeting,
  editParticipants,
  ADMIN_ONLY,
  meetingNotice,
  meetingOrFail,
  recordMinutes,
  seesEveryMeeting,
  type Decision,
  type PreviousAnswer,
} from '../src/domain/meetings/meeting-service.js'
import { beijingDate, beijingInstant, formatWhen, type CalendarDate } from '../src/time/calendar-date.js'

/**
 * What a participant is told: their answer, and when it replaced an earlier one, which (two
 * answers sent at once: the later stands, and its reply says what it replaced).
 */
function answerText(id: number, where: string, leaveReason: string | null, previous: PreviousAnswer, now: Date): string {
  const said = leaveReason === null ? `已确认参加会议 #${id}：${where}` : `已登记请假：会议 #${id}（${leaveReason}）`
  if (previous.response === 'pending') return `${said}。`
  const when = formatWhen(previous.at, now)
  const before = previous.response === 'attend' ? '参加' : `请假（${inertText(previous.reason ?? '')}）`
  const same = previous.response === 'attend' ? leaveReason === null : leaveReason === inertText(previous.reason ?? '')
  if (same) return `${said}。您 ${when} 已这样回复过，无需重复。`
  return `${said.replace(/^已(确认|登记)/, '已改为')}；替换了您 ${when} 的回复「${before}」。`
}

const CREATE_EXAMPLE = '会议 新建\n时间：9月10日 15:00\n地点：县委第三会议室\n议题：\n通报自查整改进展\n研究典型案例通报名单'

/** "15:00", "15点", "下午3点", "15点30" → [hour, minute]. */
export function parseClock(text: string | undefined): [number, number] {
  const match = /^(上午|早上|中午|下午|晚上)?(\d{1,2})(?:[:：点时](\d{1,2})?分?)?$/.exec((text ?? '').trim())
  const hour = match ? Number(match[2]) + ((match[1] === '下午' || match[1] === '晚上') && Number(match[2]) < 12 ? 12 : 0) : NaN
  const minute = match?.[3] ? Number(match[3]) : 0
  if (!match || hour > 23 || minute > 59) throw new UserFacingError('bad_time', `「${quoteTyped(text ?? '')}」不是能识别的时刻，可写 15:00、15点 或 下午3点。`)
  return [hour, minute]
}

/** A Beijing date and a clock time as an instant: "9月10日" "15:00"; with how the date was read. */
export function parseMeetingTime(date: string | undefined, clock: string | undefined, today: CalendarDate): { startsAt: Date; read: DateRead } {
  if (!clock) {
    // "2015-09-10T15:00" or "9月10日15:00" typed as one token.
    const joined = /^(.+?日|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./]\d{1,2})[T\s]?(\d{1,2}[:：点].*)$/.exec(date ?? '')
    if (joined) return parseMeetingTime(joined[1], joined[2], today)
    throw new UserFacingError('no_time', '缺少开会时刻，例：9月10日 15:00。')
  }
  const read = readDate(date, today)
  const [hour, minute] = parseClock(clock)
  return { startsAt: beijingInstant(read.date, hour, minute), read }
}

/** The "字段：内容" lines of 会议 新建; the lines after 议题 (and its own text) are the topics. */
function readCreate(text: string): { time: string; place: string; title: string; topics: string[] } {
  const out = { time: '', place: '', title: '', topics: [] as string[] }
  let inTopics = false
  for (const raw of text.split(/\r?\n/).slice(1)) {
    const line = raw.trim()
    if (!line) continue
    const field = /^(时间|地点|名称|议题)\s*[:：]\s*(.*)$/.exec(line)
    if (field) {
      inTopics = field[1] === '议题'
      if (field[1] === '时间') out.time = field[2]!
      if (field[1] === '地点') out.place = field[2]!
      if (field[1] === '名称') out.title = field[2]!
      if (inTopics && field[2]) out.topics.push(field[2].replace(/^\d+[.、．)）]\s*/, ''))
    } else if (inTopics) out.topics.push(line.replace(/^\d+[.、．)）]\s*/, ''))
  }
  return out
}

/** A line of the minutes: "内容 @单位 9月30日 (三)". */
export function parseDecision(line: string, today: CalendarDate): Decision {
  const text = line.trim().replace(/^\d+[.、．)）]\s*/, '')
  const at = /[@＠]\s*(\S+)(?:\s+(\S+))?(?:\s+([（(][一二三四五六七八1-8][）)]))?\s*$/.exec(text)
  if (!at) return { text }
  return { text: text.slice(0, at.index).trim(), unit: at[1], due: at[2] ? parseDate(at[2], today) : undefined, category: at[3] }
}

type Parsed =
  | { action: 'list' }
  | { action: 'create'; text: string }
  | { action: 'show'; id: number }
  | { action: 'reschedule'; id: number; date: string; clock: string | undefined }
  | { action: 'move'; id: number; place: string }
  | { action: 'cancel'; id: number; reason: string }
  | { action: 'participants'; id: number; add: string[]; remove: string[] }
  | { action: 'minutes'; id: number; lines: string[] }

const ACTIONS: Record<string, Parsed['action']> = {
  列表: 'list',
  新建: 'create',
  召集: 'create',
  详情: 'show',
  查看: 'show',
  改期: 'reschedule',
  改时间: 'reschedule',
  改地点: 'move',
  取消: 'cancel',
  参会人: 'participants',
  纪要: 'minutes',
}

function parse(args: CommandArgs): Parsed {
  const word = args.tokens[0] ?? '列表'
  const action = ACTIONS[word]
  if (!action) throw new UserFacingError('bad_action', `「${quoteTyped(word)}」不是会议的操作。可用：${Object.keys(ACTIONS).join('、')}。`)
  if (action === 'list') return { action }
  if (action === 'create') return { action, text: args.rest(0) }
  const id = parseItemNumber(args.tokens[1]?.split(/\r?\n/)[0], '会议编号')
  switch (action) {
    case 'show':
      return { action, id }
    case 'reschedule':
      if (!args.tokens[2]) throw new UserFacingError('no_time', '缺少新的时间，例：会议 改期 3 9月11日 10:00。')
      return { action, id, date: args.tokens[2], clock: args.tokens[3] }
    case 'move': {
      const place = args.rest(2)
      if (!place) throw new UserFacingError('no_place', '缺少新的地点，例：会议 改地点 3 县委第二会议室。')
      withinLimit(place, 'shortField', '地点')
      return { action, id, place }
    }
    case 'cancel':
      return { action, id, reason: withinLimit(args.rest(2), 'reason', '取消原因') }
    case 'participants': {
      const names = args.tokens.slice(2)
      const add = names.filter((n) => !n.startsWith('-')).map((n) => n.replace(/^\+/, ''))
      const remove = names.filter((n) => n.startsWith('-')).map((n) => n.slice(1))
      return { action, id, add, remove }
    }
    case 'minutes': {
      const lines = withinLimit(args.rest(1), 'minutes').split(/\r?\n/).slice(1).map((l) => l.trim()).filter(Boolean)
      if (lines.length === 0) throw new UserFacingError('no_decisions', '请在「会议 纪要 编号」下每行写一项决定事项；交办单位的写成「内容 @单位 日期」。')
      if (lines.length > MAX_LINES.decisions) throw new UserFacingError('too_many', `决定事项太多：${lines.length} 项，一次最多 ${MAX_LINES.decisions} 项，请分次记录。`)
      for (const line of lines) withinLimit(line, 'problem', '每项决定事项')
      return { action, id, lines }
    }
  }
}

async function run(context: CommandContext, parsed: Parsed): Promise<void> {
  const { dataSource: ds, actor } = context
  const now = context.now()
  const today = beijingDate(now)
  switch (parsed.action) {
    case 'list': {
      const visible = await meetingsFor(ds, now, seesEveryMeeting(actor) ? undefined : context.sender.id)
      if (visible.length === 0) return context.reply(seesEveryMeeting(actor) ? `目前没有联席会议。召集会议请发送：\n${CREATE_EXAMPLE}` : '您没有要参加的联席会议。')
      const status = { scheduled: '', cancelled: '（已取消）', held: '（已召开）' }
      return context.reply(
        ['**联席会议**', ...visible.map((m) => `#${m.id} ${meetingTime(m.startsAt, today)} ${inertText(m.place)}${status[m.status]}`), '查看：会议 详情 编号'].join('\n'),
      )
    }
    case 'create': {
      const fields = readCreate(parsed.text)
      const missing = [!fields.time && '时间', !fields.place && '地点', fields.topics.length === 0 && '议题'].filter(Boolean)
      if (missing.length > 0) throw new UserFacingError('missing', `缺少${missing.join('、')}。格式：\n${CREATE_EXAMPLE}`)
      const [date, clock] = fields.time.split(/\s+/)
      const { startsAt, read } = parseMeetingTime(date, clock, today)
      withinLimit(fields.title, 'shortField', '名称')
      withinLimit(fields.place, 'shortField', '地点')
      if (fields.topics.length > MAX_LINES.topics) throw new UserFacingError('too_many', `议题太多：${fields.topics.length} 个，一次会议最多 ${MAX_LINES.topics} 个。`)
      for (const topic of fields.topics) withinLimit(topic, 'shortField', '每个议题')
      const { meeting, notified } = await createMeeting(ds, actor, { startsAt, place: fields.place, topics: fields.topics, title: fields.title || undefined }, now)
      return context.reply(withDateReading(`已召集联席会议 #${meeting.id}：${meetingTime(meeting.startsAt, today)}，${inertText(meeting.place)}；已通知 ${notified.length} 人。查看回复情况：会议 详情 ${meeting.id}`, read, today))
    }
    case 'show': {
      const meeting = await meetingOrFail(ds, parsed.id)
      if (!(await canSeeMeeting(ds, actor, meeting.id))) throw new RefusalError('not_invited', `您不在会议 #${meeting.id} 的参会名单中。`)
      const roll = formatRoll(await rollCall(ds, meeting.id))
      const state = meeting.status === 'cancelled' ? '\n**本次会议已取消**' : meeting.status === 'held' ? `\n**已召开**${meeting.minutes ? `\n纪要：\n${inertLines(meeting.minutes)}` : ''}` : ''
      return context.reply(`${await meetingNotice(ds, meeting, now, { full: true })}${state}\n**回复情况**\n${roll}`)
    }
    case 'reschedule': {
      const { startsAt, read } = parseMeetingTime(parsed.date, parsed.clock, today)
      const { meeting, notified } = await changeMeeting(ds, actor, parsed.id, { startsAt }, now)
      return context.reply(withDateReading(`会议 #${meeting.id} 改至 ${meetingTime(meeting.startsAt, today)}，已通知 ${notified.length} 人。`, read, today))
    }
    case 'move': {
      const { meeting, notified } = await changeMeeting(ds, actor, parsed.id, { place: parsed.place }, now)
      return context.reply(`会议 #${meeting.id} 地点改为 ${inertText(meeting.place)}，已通知 ${notified.length} 人。`)
    }
    case 'cancel': {
      const { meeting, notified } = await cancelMeeting(ds, actor, parsed.id, parsed.reason, now)
      return context.reply(`已取消会议 #${meeting.id}，已通知 ${notified.length} 人。`)
    }
    case 'participants': {
      if (parsed.add.length + parsed.remove.length === 0) {
        if (!actor.roles.includes('org_admin')) throw new RefusalError('denied', ADMIN_ONLY)
        const meeting = await meetingOrFail(ds, parsed.id)
        return context.reply(`会议 #${meeting.id} 参会情况：\n${formatRoll(await rollCall(ds, meeting.id))}\n增减参会人：会议 参会人 ${meeting.id} +张三 -李四`)
      }
      const { added, removed } = await editParticipants(ds, actor, parsed.id, parsed, now)
      return context.reply(
        `会议 #${parsed.id} 参会人：${added.length ? `新增 ${added.map((p) => inertText(p.name)).join('、')}（已发通知）` : '无新增'}；${removed.length ? `移除 ${removed.map((p) => inertText(p.name)).join('、')}` : '无移除'}。`,
      )
    }
    case 'minutes': {
      const decisions = parsed.lines.map((line) => parseDecision(line, today))
      const { items } = await recordMinutes(ds, actor, parsed.id, decisions, now)
      const assigned = items.map((i) => `#${i.id} ${i.unit}（${i.due}前）`).join('、')
      return context.reply(`已记录会议 #${parsed.id} 纪要 ${decisions.length} 项${items.length ? `；交办事项已登记台账：${assigned}，将按时限提醒` : ''}。`)
    }
  }
}

/** 会议: joint meetings — called, changed and minuted by 组织部; listed and shown to participants. */
export const meeting = defineCommand<Parsed>({
  name: '会议',
  aliases: ['meeting'],
  summary: '联席会议',
  usage: '会议 [列表|详情 编号|新建|改期 编号 日期 时刻|改地点 编号 地点|取消 编号 [原因]|参会人 编号 +姓名 -姓名|纪要 编号]',
  example: '会议 详情 3',
  roles: 'everyone',
  verbFirst: true,
  verbs: [
    { usage: '会议 列表', example: '会议' },
    { usage: '会议 详情 编号', example: '会议 详情 3' },
    { usage: '会议 新建（换行写 时间、地点、议题）', example: CREATE_EXAMPLE, roles: ['org_admin'] },
    { usage: '会议 改期 编号 日期 时刻', example: '会议 改期 3 9月11日 10:00', roles: ['org_admin'] },
    { usage: '会议 改地点 编号 地点', example: '会议 改地点 3 县委第二会议室', roles: ['org_admin'] },
    { usage: '会议 取消 编号 [原因]', example: '会议 取消 3 与全县大会时间冲突', roles: ['org_admin'] },
    { usage: '会议 参会人 编号 +姓名 -姓名', example: '会议 参会人 3 +张伟 -李娜', roles: ['org_admin'] },
    { usage: '会议 纪要 编号（换行每行一项决定，交办写「内容 @单位 日期」）', example: '会议 纪要 3\n城关镇补报招商台账 @城关镇 9月30日', roles: ['org_admin'] },
  ],
  parse,
  run,
})

/** 参会: a participant answers — 参加, or 请假 with a reason. */
export const rsvp = defineCommand<{ id: number; attend: boolean; reason: string }>({
  name: '参会',
  aliases: ['rsvp'],
  summary: '回复是否参加联席会议',
  usage: '参会 编号 参加 | 参会 编号 请假 理由',
  example: '参会 3 请假 赴市里参加培训',
  roles: 'everyone',
  parse(args) {
    const id = parseItemNumber(args.tokens[0], '会议编号')
    const answer = args.tokens[1]
    if (answer !== '参加' && answer !== '请假' && answer !== '出席' && answer !== '不参加') throw new UserFacingError('bad_answer', '请回复「参加」或「请假 理由」。')
    return { id, attend: answer === '参加' || answer === '出席', reason: withinLimit(args.rest(2), 'reason', '请假理由') }
  },
  async run(context, { id, attend, reason }) {
    const now = context.now()
    const { meeting, previous } = await answerMeeting(context.dataSource, context.sender, id, { attend, reason }, now)
    const where = `${meetingTime(meeting.startsAt, beijingDate(now))}，${inertText(meeting.place)}`
    context.reply(answerText(id, where, attend ? null : inertText(reason), previous, now))
  },
})
