import type { Sender } from '../../bot/load-sender.js'
import { actsForUnit, isVerifier } from '../../domain/ledger/ledger-access.js'

/**
 * Who sees what on the dashboard: chat's rules (src/domain/ledger/ledger-access.ts), named once
 * here for the pages (docs/dashboard.md, Who sees what).
 */

/** The county's figures (总览, as 统计): 组织部, 检查组 and the joint meeting's members. */
export function seesCounty(sender: Sender): boolean {
  return sender.roles.some((role) => role === 'org_admin' || role === 'inspector' || role === 'meeting_member')
}

/** A unit's whole ledger (its items and their details): the verifiers, and the unit's head and liaison. */
export function seesUnitLedger(sender: Sender, unitId: number): boolean {
  return isVerifier(sender) || actsForUnit(sender, unitId)
}
