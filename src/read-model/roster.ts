import { In, type DataSource, type EntityManager } from 'typeorm'
import { CampaignUnitSchema, PersonSchema, RoleAssignmentSchema, UnitSchema, type Campaign, type CampaignUnitRole, type Role, type Unit } from '../db/entities/index.js'
import { currentOrLatestCampaign } from '../domain/campaign/current-campaign.js'
import { unitByNameOrRefuse } from '../domain/roster/find-unit.js'
import type { CalendarDate } from '../time/calendar-date.js'
import { unitNames } from './ledger-status.js'

type Db = DataSource | EntityManager

/** A unit of the roster with how many of its people there are, and how many WeCom will not deliver to. */
export interface RosterUnit {
  unitId: number
  name: string
  /** How the unit takes part in the campaign (convener first); empty when it does not. */
  campaignRoles: CampaignUnitRole[]
  people: number
  undeliverable: number
}

/** A person of a unit's roster. */
export interface RosterPerson {
  personId: number
  name: string
  userid: string
  /** The roles held in this unit (and county-wide ones), most responsible first. */
  roles: Role[]
  /** 'invaliduser' or 'unlicenseduser' when WeCom refused delivery (null: deliverable as far as known). */
  undeliverable: string | null
}

export type RosterView = { kind: 'units'; campaign: Campaign | null; units: RosterUnit[] } | { kind: 'unit'; unit: Unit; people: RosterPerson[] }

const ROLE_ORDER: readonly Role[] = ['unit_head', 'leader', 'liaison', 'staff', 'meeting_member', 'org_admin', 'inspector']
const CAMPAIGN_ROLE_ORDER: readonly CampaignUnitRole[] = ['convener', 'joint_member', 'participant']

/**
 * The roster as 名册 and `roster list` show it. Without a unit: the units of the running campaign
 * (else the latest; with none, every unit), convener, joint-meeting members, then participating
 * units, each with its active people and how many are undeliverable. With a unit (by the name
 * typed): its active people and their roles. An unknown unit is refused with the names closest to it.
 */
export async function rosterView(db: DataSource, today: CalendarDate, unitName?: string): Promise<RosterView> {
  if (unitName) {
    const unit = await unitByNameOrRefuse(db, unitName)
    return { kind: 'unit', unit, people: await unitPeople(db, unit.id) }
  }
  const campaign = await currentOrLatestCampaign(db, today)
  return { kind: 'units', campaign, units: await rosterUnits(db, campaign) }
}

async function rosterUnits(db: Db, campaign: Campaign | null): Promise<RosterUnit[]> {
  const links = campaign ? await db.getRepository(CampaignUnitSchema).findBy({ campaignId: campaign.id }) : []
  const units = campaign ? await db.getRepository(UnitSchema).findBy({ id: In([...new Set(links.map((l) => l.unitId)), -1]) }) : await db.getRepository(UnitSchema).find()
  const people = units.length === 0 ? [] : await db.getRepository(PersonSchema).find({ where: { unitId: In(units.map((u) => u.id)), active: true }, select: { id: true, unitId: true, undeliverable: true } })
  const rank = (roles: readonly CampaignUnitRole[]) => Math.min(...roles.map((r) => CAMPAIGN_ROLE_ORDER.indexOf(r)), CAMPAIGN_ROLE_ORDER.length)
  return units
    .map((unit): RosterUnit => {
      const own = people.filter((p) => p.unitId === unit.id)
      const campaignRoles = CAMPAIGN_ROLE_ORDER.filter((role) => links.some((l) => l.unitId === unit.id && l.role === role))
      return { unitId: unit.id, name: unit.name, campaignRoles, people: own.length, undeliverable: own.filter((p) => p.undeliverable !== null).length }
    })
    .sort((a, b) => rank(a.campaignRoles) - rank(b.campaignRoles) || a.name.localeCompare(b.name, 'zh-CN'))
}

/** The unit's active people, and anyone holding a role in it: the most responsible first. */
async function unitPeople(db: Db, unitId: number): Promise<RosterPerson[]> {
  const scoped = await db.getRepository(RoleAssignmentSchema).findBy({ unitId })
  const members = await db.getRepository(PersonSchema).find({ where: [{ unitId, active: true }, { id: In([...scoped.map((a) => a.personId), -1]), active: true }] })
  const assignments = members.length === 0 ? [] : await db.getRepository(RoleAssignmentSchema).findBy({ personId: In(members.map((p) => p.id)) })
  const rank = (p: RosterPerson) => Math.min(...p.roles.map((r) => ROLE_ORDER.indexOf(r)), ROLE_ORDER.length)
  return members
    .map((person): RosterPerson => {
      // A role scoped to another unit is that unit's business; county-wide ones (组织部) are shown.
      const held = new Set(assignments.filter((a) => a.personId === person.id && (a.unitId === unitId || a.unitId === null)).map((a) => a.role))
      return { personId: person.id, name: person.name, userid: person.userid, roles: ROLE_ORDER.filter((r) => held.has(r)), undeliverable: person.undeliverable }
    })
    .sort((a, b) => rank(a) - rank(b) || a.personId - b.personId)
}

/** Every unit's name, oldest first: what a mistyped name is compared with. */
export async function allUnitNames(db: Db): Promise<string[]> {
  return (await db.getRepository(UnitSchema).find({ select: { id: true, name: true }, order: { id: 'ASC' } })).map((u) => u.name)
}

/** How a unit takes part, as 名册 and `roster list` write it. */
export const CAMPAIGN_ROLE_NAMES: Record<CampaignUnitRole, string> = { convener: '牵头单位', joint_member: '联席会议成员单位', participant: '参加单位' }

/** Why WeCom will not deliver to a person (docs/wecom.md, Sending app messages), in a few words. */
export function undeliverableReason(kind: string): string {
  if (kind === 'invaliduser') return '不在应用可见范围或已离开企业'
  if (kind === 'unlicenseduser') return '没有接口许可'
  return kind
}

/** Everyone active in the roster, by unit and name, with their roles: console mode's development login lists them (docs/dashboard.md). */
export async function rosterPeople(db: Db): Promise<{ userid: string; name: string; unitName: string; roles: Role[] }[]> {
  const people = await db.getRepository(PersonSchema).find({ where: { active: true }, order: { unitId: 'ASC', name: 'ASC' } })
  const roles = await db.getRepository(RoleAssignmentSchema).find()
  const units = await unitNames(db, [...new Set(people.flatMap((p) => (p.unitId === null ? [] : [p.unitId])))])
  return people.map((p) => ({ userid: p.userid, name: p.name, unitName: p.unitId === null ? '' : (units.get(p.unitId) ?? ''), roles: [...new Set(roles.filter((r) => r.personId === p.id).map((r) => r.role))] }))
}
