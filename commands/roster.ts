import { defineCommand } from '../src/bot/define-command.js'
import { ROLE_NAMES } from '../src/bot/command-registry.js'
import { replyList } from '../src/bot/reply-list.js'
import { CAMPAIGN_ROLE_NAMES, rosterView, undeliverableReason, type RosterPerson, type RosterUnit } from '../src/read-model/roster.js'
import { beijingDate } from '../src/time/calendar-date.js'
import { inertText } from '../src/wecom/inert-text.js'

const UNDELIVERABLE_HINT = '不可送达：企业微信拒收机器人消息，请在管理后台调整应用可见范围或许可，或更新花名册。'

/** 名册 [单位] (组织部): the units taking part and their people counts, or one unit's people and roles. */
export const roster = defineCommand<{ unit: string }>({
  name: '名册',
  aliases: ['roster'],
  summary: '查看参加单位和人员、角色',
  usage: '名册 [单位]',
  example: '名册 城关镇',
  roles: ['org_admin'],
  parse: (args) => ({ unit: args.rest(0) }),
  async run(context, { unit }) {
    const view = await rosterView(context.dataSource, beijingDate(context.now()), unit || undefined)
    if (view.kind === 'units') {
      const people = view.units.reduce((n, u) => n + u.people, 0)
      const undeliverable = view.units.reduce((n, u) => n + u.undeliverable, 0)
      const title = `**名册：${view.units.length} 个单位，${people} 人${undeliverable > 0 ? `，${undeliverable} 人不可送达` : ''}**`
      // The example names a participating unit with people, as 组织部 will most often ask.
      const example = view.units.find((u) => u.people > 0 && u.campaignRoles.includes('participant')) ?? view.units.find((u) => u.people > 0)
      const footer = `查看单位人员：名册 ${example ? inertText(example.name) : '单位名称'}${undeliverable > 0 ? `\n${UNDELIVERABLE_HINT}` : ''}`
      await replyList(context, '名册', { title, lines: view.units.map(unitLine), footer })
      return
    }
    const name = inertText(view.unit.name)
    if (view.people.length === 0) {
      context.reply(`${name}的名册中还没有人员。`)
      return
    }
    const undeliverable = view.people.some((p) => p.undeliverable !== null)
    await replyList(context, '名册', { title: `**${name}名册（${view.people.length} 人）**`, lines: view.people.map(personLine), ...(undeliverable ? { footer: UNDELIVERABLE_HINT } : {}) })
  },
})

/** "城关镇：5 人" or "县委组织部（牵头单位）：2 人，1 人不可送达". */
function unitLine(unit: RosterUnit): string {
  const role = unit.campaignRoles[0]
  const tag = role && role !== 'participant' ? `（${CAMPAIGN_ROLE_NAMES[role]}）` : ''
  return `${inertText(unit.name)}${tag}：${unit.people} 人${unit.undeliverable > 0 ? `，${unit.undeliverable} 人不可送达` : ''}`
}

/** "赵磊 zhaolei · 具体责任人 · ⚠️不可送达（没有接口许可）". */
function personLine(person: RosterPerson): string {
  const roles = person.roles.length > 0 ? person.roles.map((r) => ROLE_NAMES[r]).join('、') : '无角色'
  const mark = person.undeliverable !== null ? ` · ⚠️不可送达（${undeliverableReason(person.undeliverable)}）` : ''
  return `${inertText(person.name)} ${inertText(person.userid)} · ${roles}${mark}`
}
