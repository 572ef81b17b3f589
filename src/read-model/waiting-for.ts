import type { DataSource, EntityManager } from 'typeorm'
import { MonthlyReportSchema, type ExtensionRequest, type LedgerItem } from '../db/entities/index.js'
import { isVerifier, unitsActedFor, type Actor } from '../domain/ledger/ledger-access.js'
import { monthOf, type CalendarDate } from '../time/calendar-date.js'
import { phaseStatus, type OwedTask } from './campaign-progress.js'
import { itemsAwaitingVerification } from './ledger-lists.js'
import { pendingExtensions } from './ledger-status.js'

type Db = DataSource | EntityManager

/**
 * What is waiting for a person, by role: items rectified and waiting to be verified (组织部 and
 * the inspection group), extension requests to decide and this month's submitted reports to
 * read (组织部), deliverables their units owe (unit heads and liaisons). Empty lists for what
 * their roles do not cover.
 */
export interface WaitingFor {
  toVerify: LedgerItem[]
  extensionsToDecide: ExtensionRequest[]
  reportsSubmitted: { unitId: number; submittedAt: Date }[]
  deliverablesOwed: OwedTask[]
}

export async function waitingFor(db: Db, actor: Actor, campaignId: number, today: CalendarDate): Promise<WaitingFor> {
  const admin = actor.roles.includes('org_admin')
  const toVerify = isVerifier(actor) ? await itemsAwaitingVerification(db, campaignId) : []
  const extensionsToDecide = admin ? await pendingExtensions(db, campaignId).getMany() : []
  const reportsSubmitted = admin
    ? (await db.getRepository(MonthlyReportSchema).find({ where: { campaignId, month: monthOf(today) }, order: { submittedAt: 'ASC' } })).map((r) => ({ unitId: r.unitId, submittedAt: r.submittedAt }))
    : []
  const units = unitsActedFor(actor)
  const deliverablesOwed = units.length > 0 ? (await phaseStatus(db, campaignId, today, units)).owed : []
  return { toVerify, extensionsToDecide, reportsSubmitted, deliverablesOwed }
}
