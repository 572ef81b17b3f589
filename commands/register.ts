import { inertText } from '../src/wecom/inert-text.js'
import { withinLimit } from '../src/domain/text/text-limits.js'
import { defineCommand } from '../src/bot/define-command.js'
import { readDate, withDateReading } from '../src/bot/parse-args.js'
import { missingFields, missingFieldsError, readFields } from '../src/bot/read-fields.js'
import { currentCampaign } from '../src/domain/campaign/current-campaign.js'
import { actsForUnit, unitsActedFor } from '../src/domain/ledger/ledger-access.js'
import { registerItem } from '../src/domain/ledger/register-item.js'
import { unitByNameOrRefuse } from '../src/domain/roster/find-unit.js'
import { RefusalError, UserFacingError } from '../src/errors.js'
import { beijingDate, formatChineseDate } from '../src/time/calendar-date.js'

/** The field names people write, and their synonyms. */
const FIELDS = {
  unit: ['单位'],
  category: ['类别', '问题类别'],
  problem: ['问题', '问题描述'],
  measures: ['措施', '整改措施'],
  target: ['目标', '整治目标'],
  due: ['时限', '完成时限', '期限'],
  department: ['责任部门'],
  leader: ['责任领导', '分管领导'],
  person: ['责任人', '具体责任人'],
}
type Fields = Partial<Record<keyof typeof FIELDS, string>>
const REQUIRED = { category: '类别', problem: '问题', measures: '措施', target: '目标', due: '时限', leader: '责任领导', person: '责任人' } as const

const TEMPLATE = '登记\n类别：(二)\n问题：信访件转办后推诿扯皮\n措施：建立首办责任制\n目标：积案全部化解\n时限：9月30日\n责任领导：李娜\n责任人：赵磊'

/** 登记: registers a ledger item from a multi-line message. */
export const register = defineCommand<Fields>({
  name: '登记',
  aliases: ['add'],
  summary: '登记一个台账问题',
  usage: '登记 + 换行写 类别：… 问题：… 措施：… 目标：… 时限：… 责任领导：… 责任人：…',
  example: TEMPLATE.replaceAll('\n', ' / '),
  roles: ['unit_head', 'liaison', 'org_admin'],
  verbs: [{ usage: '登记（第二行起每行一项：类别、问题、措施、目标、时限、责任领导、责任人）', example: TEMPLATE }],
  parse(args) {
    const fields = readFields(args.rest(0), { names: FIELDS })
    const missing = missingFields(fields, REQUIRED)
    if (missing.length > 0) throw missingFieldsError(missing, TEMPLATE)
    withinLimit(fields.problem!, 'problem')
    withinLimit(fields.measures!, 'measures')
    withinLimit(fields.target!, 'target')
    if (fields.department) withinLimit(fields.department, 'shortField', '责任部门')
    return fields
  },
  async run(context, fields) {
    const { dataSource, actor } = context
    const today = beijingDate(context.now())
    const campaign = await currentCampaign(dataSource, today)
    if (!campaign) throw new RefusalError('no_campaign', '当前没有进行中的专项治理，无法登记。')
    let unitId: number | undefined
    if (fields.unit) {
      const unit = await unitByNameOrRefuse(dataSource, fields.unit)
      if (!actor.roles.includes('org_admin') && !actsForUnit(actor, unit.id)) throw new RefusalError('denied', '只能为本单位登记台账。')
      unitId = unit.id
    } else {
      const own = unitsActedFor(actor)
      unitId = own.includes(actor.person.unitId ?? -1) ? actor.person.unitId! : own[0]
      if (unitId === undefined) throw new UserFacingError('no_unit', '请加一行「单位：单位名称」，说明为哪个单位登记。')
    }
    const due = readDate(fields.due, today)
    const dueDate = due.date
    const result = await registerItem(dataSource, actor, {
      campaign,
      unitId,
      today,
      now: context.now(),
      fields: {
        category: fields.category!,
        problem: fields.problem!,
        measures: fields.measures!,
        target: fields.target!,
        dueDate,
        leader: fields.leader!,
        person: fields.person!,
        department: fields.department ?? null,
      },
    })
    const answer = `已登记 #${result.item.id}：${inertText(result.item.problem)}\n类别 ${result.category.label}${result.category.name} · 时限 ${formatChineseDate(dueDate, today)} · 责任领导 ${inertText(result.leader.name)} · 责任人 ${inertText(result.person.name)}${result.notified.length > 0 ? '\n已通知责任人。' : ''}`
    context.reply(withDateReading(answer, due, today))
  },
})
