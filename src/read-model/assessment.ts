import { In, type DataSource, type EntityManager } from 'typeorm'
import { CampaignUnitSchema, InspectionSchema, LedgerItemSchema, PersonSchema, type AccountabilityMeasure, type Campaign } from '../db/entities/index.js'
import type { CalendarDate } from '../time/calendar-date.js'
import { accountabilityEntries } from './accountability.js'
import { countItem, emptyTally, onTimeRate, sumTallies, type LedgerTally } from './figures.js'
import { unitNames, unitStatistics, type ItemState } from './ledger-status.js'

type Db = DataSource | EntityManager

/** Decisions counted by measure, every measure present. */
export type MeasureCounts = Record<AccountabilityMeasure, number>

const MEASURE_ORDER: readonly AccountabilityMeasure[] = ['talk_reminder', 'criticism', 'self_review', 'circulated_criticism', 'admonishment', 'organizational', 'disciplinary']

const noMeasures = (): MeasureCounts => Object.fromEntries(MEASURE_ORDER.map((m) => [m, 0])) as MeasureCounts

/** One unit in the annual assessment: its ledger (docs/figures.md), its findings, the decisions about it and its people. */
export interface AssessmentUnit extends LedgerTally {
  unitId: number
  unitName: string
  /** Takes part in the campaign (others are listed for their items, findings or decisions). */
  participant: boolean
  onTimeRate: number | null
  /** Inspection findings recorded for the unit, and the ledger items made of them. */
  findings: number
  itemsFromFindings: number
  /** 组织部's decisions for the unit or a person of it, by measure, and their total. */
  measures: MeasureCounts
  decisions: number
}

/** One responsible leader (or anyone a decision concerns) in the annual assessment. */
export interface AssessmentLeader extends LedgerTally {
  personId: number
  name: string
  unitName: string
  onTimeRate: number | null
  /** Decisions concerning this person, by measure, and their total. */
  measures: MeasureCounts
  decisions: number
}

export interface Assessment {
  campaign: Campaign
  today: CalendarDate
  units: AssessmentUnit[]
  leaders: AssessmentLeader[]
  /** The units summed: the ledger's totals with their on-time rate, findings and decisions. */
  totals: LedgerTally & { onTimeRate: number | null; findings: number; itemsFromFindings: number; measures: MeasureCounts; decisions: number }
}

/**
 * What the annual assessment needs of a campaign on `today` (docs/figures.md, Annual assessment):
 * per unit — the ledger's figures as every surface counts them, findings, items made of them,
 * accountability decisions by measure; per responsible leader (an item's responsible leader, or a
 * person a decision concerns) — their items' figures and the decisions concerning them. Units in
 * the order every surface ranks them (worst first), leaders by their unit in that order, then
 * name. Reads no report from the public, let alone who made it (docs/inspections.md).
 */
export async function assessmentFigures(db: Db, campaign: Campaign, today: CalendarDate): Promise<Assessment> {
  const items = (await db.getRepository(LedgerItemSchema).find({
    where: { campaignId: campaign.id },
    select: { id: true, unitId: true, status: true, dueDate: true, closedAt: true, responsibleLeaderId: true },
  })) as (ItemState & { responsibleLeaderId: number | null })[]
  const findings = await db.getRepository(InspectionSchema).find({ where: { campaignId: campaign.id }, select: { id: true, unitId: true, ledgerItemId: true } })
  const decisions = await accountabilityEntries(db, campaign.id)
  const participants = new Set((await db.getRepository(CampaignUnitSchema).findBy({ campaignId: campaign.id, role: 'participant' })).map((c) => c.unitId))
  const unitIds = [...new Set([...participants, ...items.map((i) => i.unitId), ...findings.map((f) => f.unitId), ...decisions.flatMap((d) => (d.unitId === null ? [] : [d.unitId]))])]
  const names = await unitNames(db, unitIds)
  const units = unitStatistics(items, today, unitIds, names).map((u): AssessmentUnit => {
    const own = findings.filter((f) => f.unitId === u.unitId)
    const measures = countMeasures(decisions.filter((d) => d.unitId === u.unitId))
    const { light: _light, reportsSubmitted: _reports, ...figures } = u
    return { ...figures, participant: participants.has(u.unitId), findings: own.length, itemsFromFindings: own.filter((f) => f.ledgerItemId !== null).length, measures, decisions: total(measures) }
  })
  const leaders = await leaderFigures(db, items, decisions, today, units.map((u) => u.unitId))
  const tally = sumTallies(units)
  const measures = countMeasures(decisions)
  return {
    campaign,
    today,
    units,
    leaders,
    totals: { ...tally, onTimeRate: onTimeRate(tally), findings: findings.length, itemsFromFindings: findings.filter((f) => f.ledgerItemId !== null).length, measures, decisions: total(measures) },
  }
}

async function leaderFigures(
  db: Db,
  items: readonly (ItemState & { responsibleLeaderId: number | null })[],
  decisions: Awaited<ReturnType<typeof accountabilityEntries>>,
  today: CalendarDate,
  unitOrder: readonly number[],
): Promise<AssessmentLeader[]> {
  const tallies = new Map<number, LedgerTally>()
  for (const item of items) {
    if (item.responsibleLeaderId === null) continue
    let tally = tallies.get(item.responsibleLeaderId)
    if (!tally) tallies.set(item.responsibleLeaderId, (tally = emptyTally()))
    countItem(tally, item, today)
  }
  const ids = [...new Set([...tallies.keys(), ...decisions.flatMap((d) => (d.personId === null ? [] : [d.personId]))])]
  if (ids.length === 0) return []
  const people = await db.getRepository(PersonSchema).find({ where: { id: In(ids) }, select: { id: true, name: true, unitId: true } })
  const units = await unitNames(db, [...new Set(people.map((p) => p.unitId).filter((id): id is number => id !== null))])
  const rank = (unitId: number | null) => {
    const at = unitId === null ? -1 : unitOrder.indexOf(unitId)
    return at < 0 ? unitOrder.length : at
  }
  return people
    .sort((a, b) => rank(a.unitId) - rank(b.unitId) || a.name.localeCompare(b.name, 'zh-CN') || a.id - b.id)
    .map((p): AssessmentLeader => {
      const tally = tallies.get(p.id) ?? emptyTally()
      const measures = countMeasures(decisions.filter((d) => d.personId === p.id))
      return { ...tally, personId: p.id, name: p.name, unitName: p.unitId === null ? '' : (units.get(p.unitId) ?? `#${p.unitId}`), onTimeRate: onTimeRate(tally), measures, decisions: total(measures) }
    })
}

function countMeasures(decisions: readonly { measure: AccountabilityMeasure }[]): MeasureCounts {
  const counts = noMeasures()
  for (const d of decisions) counts[d.measure] += 1
  return counts
}

const total = (measures: MeasureCounts) => MEASURE_ORDER.reduce((sum, m) => sum + measures[m], 0)
