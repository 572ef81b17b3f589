import type { DataSource } from 'typeorm'
import { RefusalError } from '../../errors.js'
import { CircularSchema, type Circular, type OutboxStatus } from '../../db/entities/index.js'
import { fromSqlInstant } from '../../db/sql-instant.js'
import type { Audience } from './audience.js'
import { describeAudience } from './audience.js'

export interface ReceiptLine {
  personId: number
  name: string
  unitId: number | null
  unitName: string
  /** unit_head, liaison or meeting_member (the first that applies). */
  role: string | null
  sent: boolean
  /** Where their copy stands in the outbox (pending while quiet hours hold it, say); null: no copy recorded. */
  delivery: OutboxStatus | null
  acknowledgedAt: Date | null
  remindedAt: Date | null
}

export interface CircularStatus {
  circular: Circular
  audienceText: string
  receipts: ReceiptLine[]
  robots: { name: string; status: string }[]
}

/** A circular with its receipts (who got it, who acknowledged) and its group-robot copies; the cases it names: linkedCases (src/read-model/circulars.ts). */
export async function circularStatus(ds: DataSource, circularId: number): Promise<CircularStatus> {
  const circular = await ds.getRepository(CircularSchema).findOneBy({ id: circularId })
  if (!circular) throw new RefusalError('unknown_circular', `没有编号为 #${circularId} 的通报。`)
  const rows = (await ds.query(
    `SELECT r.person_id, p.name, r.unit_id, u.name AS unit_name, o.status AS outbox_status, r.acknowledged_at, r.reminded_at,
            (SELECT MIN(a.role) FROM role_assignment a WHERE a.person_id = r.person_id AND a.role IN ('unit_head', 'liaison', 'meeting_member') AND (a.unit_id = r.unit_id OR a.unit_id IS NULL)) AS role
       FROM circular_receipt r
       JOIN person p ON p.id = r.person_id
       LEFT JOIN unit u ON u.id = r.unit_id
       LEFT JOIN outbox_message o ON o.id = r.outbox_message_id
      WHERE r.circular_id = ?
      ORDER BY r.unit_id, r.person_id`,
    [circularId],
  )) as { person_id: number; name: string; unit_id: number | null; unit_name: string | null; outbox_status: string | null; acknowledged_at: unknown; reminded_at: unknown; role: string | null }[]
  const audience = JSON.parse(circular.audience) as Audience
  // The circular's group-robot copies, by subject (docs/delivery.md): its webhook rows.
  const robotRows = (await ds.query(
    "SELECT recipients, status FROM outbox_message WHERE subject_kind = 'circular' AND subject_id = ? AND channel = 'webhook' ORDER BY id",
    [circularId],
  )) as { recipients: string; status: string }[]
  const units = [...new Map(rows.filter((r) => r.unit_name).map((r) => [r.unit_id, r.unit_name!])).values()]
  return {
    circular,
    audienceText: describeAudience(audience, units),
    receipts: rows.map((r) => ({
      personId: Number(r.person_id),
      name: r.name,
      unitId: r.unit_id === null ? null : Number(r.unit_id),
      unitName: r.unit_name ?? '',
      role: r.role,
      sent: r.outbox_status === 'sent',
      delivery: r.outbox_status as OutboxStatus | null,
      acknowledgedAt: fromSqlInstant(r.acknowledged_at),
      remindedAt: fromSqlInstant(r.reminded_at),
    })),
    robots: robotStatuses(robotRows),
  }
}

/**
 * One line per robot: a copy WeCom took in several parts (rows "#2", "#3"…) is as far along as
 * its first part not sent.
 */
function robotStatuses(rows: readonly { recipients: string; status: string }[]): { name: string; status: string }[] {
  const byRobot = new Map<string, string>()
  for (const row of rows) {
    const name = String((JSON.parse(row.recipients) as { robot: string }).robot)
    const known = byRobot.get(name)
    if (known === undefined || known === 'sent') byRobot.set(name, row.status)
  }
  return [...byRobot].map(([name, status]) => ({ name, status }))
}
