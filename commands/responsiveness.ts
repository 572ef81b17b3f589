import { defineCommand, type CommandContext } from '../src/bot/define-command.js'
import { replyList } from '../src/bot/reply-list.js'
import { unitAndMonth } from '../src/bot/unit-and-month.js'
import { currentOrLatestCampaign } from '../src/domain/campaign/current-campaign.js'
import { isVerifier, ownUnits } from '../src/domain/ledger/ledger-access.js'
import { checkedMonth, defaultMonth } from '../src/domain/reports/month-span.js'
import type { Campaign, Unit } from '../src/db/entities/index.js'
import { RefusalError, UserFacingError } from '../src/errors.js'
import { unitNames } from '../src/read-model/ledger-status.js'
import { responsiveness, type ResponsivenessPeriod } from '../src/read-model/responsiveness.js'
import { periodText, personLine, scopeLines, unitLine } from '../src/read-model/responsiveness-text.js'
import { beijingDate } from '../src/time/calendar-date.js'
import { inertText } from '../src/wecom/inert-text.js'

/** The words that ask for the whole campaign instead of a month. */
const WHOLE = new Set(['全程', '全部', '累计', '整个'])

/**
 * 时效 [单位] [月份|全程]: how fast units act on reminders (docs/responsiveness.md). 组织部 and the
 * inspection group see the county and every unit ranked, slowest first; a unit's head, leader and
 * liaison their own unit and its people.
 */
export const responsivenessCommand = defineCommand<{ words: readonly string[] }>({
  name: '时效',
  aliases: ['响应时效', 'responsiveness'],
  summary: '提醒响应时效：响应时间、未响应、按期整改率、逾期负荷',
  usage: '时效 [单位] [月份|全程]',
  example: '时效 城关镇 11月',
  roles: ['org_admin', 'inspector', 'unit_head', 'leader', 'liaison'],
  parse: (args) => ({ words: args.tokens }),
  async run(context, { words }) {
    const now = context.now()
    const today = beijingDate(now)
    const campaign = await currentOrLatestCampaign(context.dataSource, today)
    if (!campaign) {
      context.reply('还没有专项治理，没有时效数据。')
      return
    }
    const whole = words.some((w) => WHOLE.has(w))
    const asked = await unitAndMonth(context, words.filter((w) => !WHOLE.has(w)), today)
    if (whole && asked.month !== null) throw new UserFacingError('both_periods', '「全程」和月份只能写一个：全程看整个专项治理，月份看那个月。')
    const unit = await allowedUnit(context, asked.unit)
    const period: ResponsivenessPeriod = whole ? { campaign: true } : { month: checkedMonth(asked.month ?? defaultMonth(campaign, today), campaign, today, '这个月份还没有到，没有时效数据。') }
    if (unit === null) return county(context, campaign, period)
    const figures = await responsiveness(context.dataSource, campaign, period, now, { unitId: unit.id, people: true })
    const mine = figures.people.filter((p) => p.unitId === unit.id)
    const lines = [...scopeLines(figures.units.find((u) => u.unitId === unit.id) ?? figures.county), ...(mine.length > 0 ? ['各责任人（慢者在前）：', ...mine.map(personLine)] : [])]
    await replyList(context, '时效', { title: `**响应时效 · ${inertText(unit.name)}（${periodText(figures.period)}）**`, lines })
  },
})

async function county(context: CommandContext, campaign: Campaign, period: ResponsivenessPeriod): Promise<void> {
  const figures = await responsiveness(context.dataSource, campaign, period, context.now())
  const ranked = figures.units.filter((u) => u.rank !== null)
  const unranked = figures.units.length - ranked.length
  const lines = [
    ...scopeLines(figures.county),
    ranked.length > 0
      ? '各单位排名（未响应比例高者在前，再按响应中位）：'
      : figures.period.noRecord
        ? '这个月在提醒记录开始之前，没有提醒记录，不排名。'
        : '本期没有可排名的单位（没有已到判定时点的提醒）。',
    ...ranked.map(unitLine),
    ...(ranked.length > 0 && unranked > 0 ? [`另有 ${unranked} 个单位本期没有已判定的提醒。`] : []),
  ]
  await replyList(context, '时效', { title: `**响应时效 · 全县（${periodText(figures.period)}）**`, lines })
}

/** The unit asked for, if the person may read it; without one, the county for 组织部 and the person's own unit for the others. */
async function allowedUnit(context: CommandContext, unit: Unit | null): Promise<Pick<Unit, 'id' | 'name'> | null> {
  if (isVerifier(context.actor)) return unit
  const own = ownUnits(context.actor)
  if (unit && own.includes(unit.id)) return unit
  const names = await unitNames(context.dataSource, own)
  if (unit) throw new RefusalError('denied', `您只能查看本单位（${[...names.values()].map(inertText).join('、')}）的时效；全县排名由县委组织部查看。`)
  const home = context.actor.person.unitId
  const mine = home !== null && own.includes(home) ? home : own[0]
  if (mine === undefined) throw new RefusalError('denied', '您没有可查看的单位。')
  return { id: mine, name: names.get(mine) ?? `#${mine}` }
}
