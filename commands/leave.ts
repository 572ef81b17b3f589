import { currentOrLatestCampaign } from '../src/domain/campaign/current-campaign.js'
import { checkDateBound } from '../src/domain/campaign/date-bound.js'
import { defineCommand } from '../src/bot/define-command.js'
import { readDate, withDateReading } from '../src/bot/parse-args.js'
import { endLeave, leaveTaker, startLeave } from '../src/domain/roster/person-leave.js'
import { RefusalError, UserFacingError } from '../src/errors.js'
import { beijingDate, formatChineseDate } from '../src/time/calendar-date.js'

/** 请假: reminders go to a deputy (or the unit's liaison) until a date. */
export const leave = defineCommand<{ date: string; deputy: string }>({
  name: '请假',
  aliases: ['leave'],
  summary: '请假，提醒转给代理人',
  usage: '请假 至 日期 [代理人]',
  example: '请假 至 9月30日 李娜',
  roles: 'everyone',
  parse(args) {
    const tokens = args.tokens[0] === '至' || args.tokens[0] === '到' ? args.tokens.slice(1) : [...args.tokens]
    if (!tokens[0]) throw new UserFacingError('no_date', '缺少请假截止日期。')
    return { date: tokens[0], deputy: tokens[1] ?? '' }
  },
  async run(context, { date, deputy }) {
    const { dataSource, sender } = context
    const today = beijingDate(context.now())
    const read = readDate(date, today)
    const until = read.date
    if (until < today) throw new RefusalError('past', `请假截止日期 ${formatChineseDate(until)} 已过。`)
    const campaign = await currentOrLatestCampaign(dataSource, today)
    if (campaign) checkDateBound(until, campaign, today, '请假截止日期')
    const taker = await leaveTaker(dataSource, sender, deputy)
    const takerText = taker.deputy
      ? `代理人 ${taker.deputy.name}`
      : taker.liaisons.length > 0
        ? `本单位联络员 ${taker.liaisons.join('、')}`
        : '（本单位没有联络员，提醒仍发给您）'
    await startLeave(dataSource, sender.id, until, taker.deputy?.id ?? null, context.now())
    context.reply(withDateReading(`已登记请假至 ${formatChineseDate(until, today)}：期间您的提醒和升级通知转给${takerText}。提前返回请发送「销假」。`, read, today))
  },
})

/** 销假: back early; reminders come to the person again. */
export const backFromLeave = defineCommand<Record<string, never>>({
  name: '销假',
  aliases: ['back'],
  summary: '提前结束请假',
  usage: '销假',
  example: '销假',
  roles: 'everyone',
  parse: () => ({}),
  async run(context) {
    const today = beijingDate(context.now())
    const ended = await endLeave(context.dataSource, context.sender.id, today, context.now())
    context.reply(ended ? '已销假，提醒恢复发给您本人。' : '您目前没有请假。')
  },
})
