import { In, type EntityManager } from 'typeorm'
import { RefusalError, UserFacingError } from '../../errors.js'
import { unknownUnitText } from '../roster/find-unit.js'
import { CampaignUnitSchema, PersonSchema, RoleAssignmentSchema, UnitSchema, type Role } from '../../db/entities/index.js'
import { quoteTyped } from '../text/text-limits.js'

/** Who a circular goes to, as stored in circular.audience (JSON). */
export type Audience =
  | { type: 'all' }
  | { type: 'towns' }
  | { type: 'county_departments' }
  | { type: 'units'; unitIds: number[] }
  | { type: 'meeting_members' }
  | { type: 'robots'; robots: string[] }

/** A selector as typed, before unit names are looked up. */
export type AudienceSelector = Exclude<Audience, { type: 'units' }> | { type: 'units'; names: string[] }

const WORDS: Record<string, AudienceSelector['type']> = {
  全体: 'all', 全部: 'all', 所有: 'all', 全县: 'all', 全体单位: 'all', 所有单位: 'all', 各单位: 'all', all: 'all',
  镇: 'towns', 乡镇: 'towns', 各镇: 'towns', 各乡镇: 'towns', 镇街: 'towns', towns: 'towns',
  县直: 'county_departments', 县直单位: 'county_departments', 县直部门: 'county_departments', 各县直单位: 'county_departments', county: 'county_departments',
  单位: 'units', 指定单位: 'units', units: 'units',
  联席会议: 'meeting_members', 联席: 'meeting_members', 联席会议成员: 'meeting_members', 会议成员: 'meeting_members', meeting: 'meeting_members',
  群: 'robots', 群聊: 'robots', 群机器人: 'robots', group: 'robots',
}

export const AUDIENCE_HELP = '受众可写：全体、镇、县直、单位 名称,名称、联席会议、群 群名'

const splitList = (text: string) => text.split(/[,，、;；]+/).map((s) => s.trim()).filter(Boolean)

/**
 * Reads the audience selector at the start of `tokens` (normalized): the word, and for 单位 and
 * 群 the list after it ("单位 城关镇,后港镇", also "单位：城关镇、后港镇"). Returns how many tokens it used.
 */
export function parseAudienceSelector(tokens: readonly string[]): { selector: AudienceSelector; used: number } {
  const first = tokens[0] ?? ''
  if (!first) throw new UserFacingError('no_audience', `缺少受众。${AUDIENCE_HELP}。`)
  const [word, attached] = first.split(/[:：]/, 2) as [string, string | undefined]
  const type = WORDS[word.toLowerCase()]
  if (!type) throw new UserFacingError('bad_audience', `不认识的受众「${first.slice(0, 20)}」。${AUDIENCE_HELP}。`)
  if (type !== 'units' && type !== 'robots') return { selector: { type } as AudienceSelector, used: 1 }
  const list = attached ? splitList(attached) : splitList(tokens[1] ?? '')
  const used = attached ? 1 : 2
  if (list.length === 0) {
    throw new UserFacingError('no_names', type === 'units' ? '「单位」后面请写单位名称，多个用逗号分开，例：单位 城关镇,后港镇' : '「群」后面请写群名（WECOM_ROBOTS 中配置的名称），例：群 lianxi')
  }
  return type === 'units' ? { selector: { type, names: list }, used } : { selector: { type, robots: list }, used }
}

/** Turns unit names into ids; an unknown name is refused with the names closest to it (find-unit.ts). */
export async function resolveSelector(manager: EntityManager, selector: AudienceSelector, robotNames: readonly string[]): Promise<Audience> {
  if (selector.type === 'robots') {
    const unknown = selector.robots.filter((r) => !robotNames.includes(r))
    if (unknown.length > 0) {
      const known = robotNames.length > 0 ? `已配置的群：${robotNames.join('、')}` : '目前没有配置任何群机器人（在 WECOM_ROBOTS 中添加 名称=key）'
      throw new RefusalError('unknown_robot', `没有名为「${quoteTyped(unknown.join('、'), 40)}」的群。${known}。`)
    }
    return { type: 'robots', robots: [...new Set(selector.robots)] }
  }
  if (selector.type !== 'units') return selector
  const units = await manager.find(UnitSchema, { select: { id: true, name: true }, order: { id: 'ASC' } })
  const ids: number[] = []
  const problems: string[] = []
  for (const name of selector.names) {
    // The names were normalized (NFKC) with the message: a unit named with full-width brackets is found too.
    const unit = units.find((u) => u.name === name) ?? units.find((u) => u.name.normalize('NFKC') === name.normalize('NFKC'))
    if (unit) ids.push(unit.id)
    else problems.push(unknownUnitText(name, units.map((u) => u.name)))
  }
  if (problems.length > 0) throw new RefusalError('unknown_unit', problems.join('\n'))
  return { type: 'units', unitIds: [...new Set(ids)] }
}

export interface Recipient {
  personId: number
  userid: string
  name: string
  viaWechat: boolean
  unitId: number | null
  unitName: string
  /** The roles that put this person in the audience (unit_head, liaison, meeting_member). */
  roles: Role[]
}

export interface ResolvedAudience {
  recipients: Recipient[]
  /** The units reached, in roster order. */
  units: { id: number; name: string }[]
  robots: string[]
}

/** The people an audience reaches today: the heads and liaisons of its units, or the meeting members; and its group robots. */
export async function resolveAudience(manager: EntityManager, campaignId: number, audience: Audience): Promise<ResolvedAudience> {
  if (audience.type === 'robots') return { recipients: [], units: [], robots: audience.robots }
  let roles: Role[] = ['unit_head', 'liaison']
  let unitIds: number[] | null
  if (audience.type === 'meeting_members') {
    roles = ['meeting_member']
    unitIds = null
  } else if (audience.type === 'units') {
    unitIds = audience.unitIds
  } else {
    const participants = await manager.find(CampaignUnitSchema, { where: { campaignId, role: 'participant' } })
    const kind = audience.type === 'towns' ? 'town' : audience.type === 'county_departments' ? 'county_department' : null
    const units = await manager.find(UnitSchema, { where: { id: In(participants.map((p) => p.unitId).concat(-1)) } })
    unitIds = units.filter((u) => kind === null || u.kind === kind).map((u) => u.id)
  }
  if (unitIds !== null && unitIds.length === 0) return { recipients: [], units: [], robots: [] }
  const assignments = await manager.find(RoleAssignmentSchema, {
    where: { role: In(roles), ...(unitIds === null ? {} : { unitId: In(unitIds) }) },
    order: { id: 'ASC' },
  })
  const people = await manager.find(PersonSchema, { where: { id: In(assignments.map((a) => a.personId).concat(-1)), active: true } })
  const byId = new Map(people.map((p) => [p.id, p]))
  const unitNames = new Map(
    (await manager.find(UnitSchema, { where: { id: In([...assignments.map((a) => a.unitId), ...people.map((p) => p.unitId)].filter((id): id is number => id !== null).concat(-1)) } })).map(
      (u) => [u.id, u.name],
    ),
  )
  const recipients = new Map<number, Recipient>()
  for (const assignment of assignments) {
    const person = byId.get(assignment.personId)
    if (!person) continue
    const known = recipients.get(person.id)
    if (known) {
      if (!known.roles.includes(assignment.role)) known.roles.push(assignment.role)
      continue
    }
    const unitId = assignment.unitId ?? person.unitId
    recipients.set(person.id, {
      personId: person.id,
      userid: person.userid,
      name: person.name,
      viaWechat: person.viaWechat,
      unitId,
      unitName: unitId === null ? '' : (unitNames.get(unitId) ?? ''),
      roles: [assignment.role],
    })
  }
  const list = [...recipients.values()].sort((a, b) => (a.unitId ?? 0) - (b.unitId ?? 0) || a.personId - b.personId)
  const units = new Map<number, string>()
  for (const r of list) if (r.unitId !== null) units.set(r.unitId, r.unitName)
  return { recipients: list, units: [...units].map(([id, name]) => ({ id, name })), robots: [] }
}

/** The audience in a few words, e.g. "全体单位", "城关镇、后港镇", "群 lianxi". */
export function describeAudience(audience: Audience, unitNames: readonly string[] = []): string {
  switch (audience.type) {
    case 'all':
      return '全体单位'
    case 'towns':
      return '各镇'
    case 'county_departments':
      return '县直单位'
    case 'units':
      return unitNames.join('、') || '指定单位'
    case 'meeting_members':
      return '联席会议成员'
    case 'robots':
      return `群 ${audience.robots.join('、')}`
  }
}
