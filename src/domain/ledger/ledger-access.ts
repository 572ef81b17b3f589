import type { LedgerItem, Person, Role, RoleAssignment } from '../../db/entities/index.js'

/** Who is asking: the person and their roles with the units they apply to. */
export interface Actor {
  person: Person
  roles: readonly Role[]
  assignments: readonly RoleAssignment[]
}

/** 组织部 and the inspection group verify, close and see everything. */
export function isVerifier(actor: Actor): boolean {
  return actor.roles.includes('org_admin') || actor.roles.includes('inspector')
}

/** Unit heads and liaisons act for their unit's whole ledger. */
export function actsForUnit(actor: Actor, unitId: number): boolean {
  return actor.assignments.some((a) => (a.role === 'unit_head' || a.role === 'liaison') && a.unitId === unitId)
}

/** The units whose whole ledger this person acts for. */
export function unitsActedFor(actor: Actor): number[] {
  return [...new Set(actor.assignments.filter((a) => a.role === 'unit_head' || a.role === 'liaison').map((a) => a.unitId!).filter((id) => id !== null))]
}

/** The units whose monthly reports the person reads as one of its head, leader or liaison (查看月报, the dashboard's 月报). */
export function ownUnits(actor: Actor): number[] {
  return [...new Set(actor.assignments.filter((a) => (a.role === 'unit_head' || a.role === 'leader' || a.role === 'liaison') && a.unitId !== null).map((a) => a.unitId!))]
}

/** Reports progress, marks done, asks for an extension: the responsible person or leader, or the unit's head or liaison. */
export function canUpdateItem(actor: Actor, item: LedgerItem): boolean {
  return item.responsiblePersonId === actor.person.id || item.responsibleLeaderId === actor.person.id || actsForUnit(actor, item.unitId)
}

/** Sees the item's details: whoever may update it, and the verifiers. */
export function canSeeItem(actor: Actor, item: LedgerItem): boolean {
  return canUpdateItem(actor, item) || isVerifier(actor)
}

/** The reply to someone who may not change an item: who may. */
export const UPDATE_DENIED = '只有该事项的具体责任人、责任领导，或本单位第一责任人、联络员可以操作。'
export const VERIFY_DENIED = '只有组织部（干部监督科）和专项检查组可以销号或退回。'
