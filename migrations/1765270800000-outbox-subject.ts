import type { MigrationInterface, QueryRunner } from 'typeorm'

/**
 * Outbox rows carry what they are about (docs/delivery.md, Subjects): subject_kind, subject_id
 * and person_id, so that a circular's or a meeting's rows are found by kind and id instead of by
 * LIKE on the dedupe key (which made circular 1 match circular 12's rows).
 *
 * Rows written before this migration get their subject from their dedupe key, here and only
 * here: this is the one place that reads the old key formats. A key of no known form stays
 * 'other'. Plain ALTER TABLE on both databases, as in LedgerProblemKey1765098000000: TypeORM's
 * addColumn rebuilds a SQLite table, and outbox_message is referenced by circular_receipt and
 * send_slot.
 */
export class OutboxSubject1765270800000 implements MigrationInterface {
  name = 'OutboxSubject1765270800000'

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type
    const mysql = type === 'mysql' || type === 'mariadb'
    const utf8mb4 = mysql ? ' CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci' : ''
    const int = mysql ? 'int' : 'integer'
    await queryRunner.query(`ALTER TABLE outbox_message ADD COLUMN subject_kind varchar(32)${utf8mb4} NOT NULL DEFAULT 'other'`)
    await queryRunner.query(`ALTER TABLE outbox_message ADD COLUMN subject_id ${int} NULL`)
    await queryRunner.query(`ALTER TABLE outbox_message ADD COLUMN person_id ${int} NULL`)
    await backfill(queryRunner)
    await queryRunner.query('CREATE INDEX idx_outbox_message_subject ON outbox_message (subject_kind, subject_id)')
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type
    await queryRunner.query(type === 'mysql' || type === 'mariadb' ? 'DROP INDEX idx_outbox_message_subject ON outbox_message' : 'DROP INDEX idx_outbox_message_subject')
    await queryRunner.query('ALTER TABLE outbox_message DROP COLUMN person_id')
    await queryRunner.query('ALTER TABLE outbox_message DROP COLUMN subject_id')
    await queryRunner.query('ALTER TABLE outbox_message DROP COLUMN subject_kind')
  }
}

export interface KeySubject {
  kind: string
  id: number | null
  /** The person the key names; undefined when it names none (then found from the recipients). */
  person?: number
  /** For a recall row: the outbox row it recalls (whose person it takes). */
  recalls?: number
}

/**
 * The subject of a message written before subjects, from its key (without a part's "#2"). The
 * formats are those the code wrote up to this migration; they are frozen here.
 */
export function subjectOfOldKey(key: string): KeySubject {
  const n = (s: string | undefined) => Number(s)
  let m: RegExpMatchArray | null
  if ((m = key.match(/^circular:(\d+):p:(\d+)$/))) return { kind: 'circular', id: n(m[1]), person: n(m[2]) }
  if ((m = key.match(/^circular:(\d+):robot:/))) return { kind: 'circular', id: n(m[1]) }
  if ((m = key.match(/^circular-remind:(\d+):p:(\d+)$/))) return { kind: 'circular_reminder', id: n(m[1]), person: n(m[2]) }
  if ((m = key.match(/^circular-recall:(\d+):(\d+):\d+$/))) return { kind: 'circular_recall', id: n(m[1]), recalls: n(m[2]) }
  if ((m = key.match(/^circular-recalled:(\d+):(\d+)$/))) return { kind: 'circular_recall', id: n(m[1]), person: n(m[2]) }
  if ((m = key.match(/^meeting:(\d+):notice:(\d+)$/))) return { kind: 'meeting', id: n(m[1]), person: n(m[2]) }
  if ((m = key.match(/^meeting:(\d+):(notice|cancelled)$/))) return { kind: 'meeting', id: n(m[1]) }
  if ((m = key.match(/^meeting:(\d+):changed:\d+$/))) return { kind: 'meeting_change', id: n(m[1]) }
  if ((m = key.match(/^meeting:(\d+):\d{4}-\d{2}-\d{2}T[^#]*:(day-before|two-hours)(:unanswered)?$/))) return { kind: 'meeting_reminder', id: n(m[1]) }
  if ((m = key.match(/^registered:(\d+)$/) ?? key.match(/^(?:rectified|close|reopen):(\d+):\d+$/))) return { kind: 'item', id: n(m[1]) }
  if ((m = key.match(/^extension(?:-approved|-denied|-expired)?:(\d+)$/))) return { kind: 'extension', id: n(m[1]) }
  if (/^(digest|summary):/.test(key)) return { kind: 'digest', id: null }
  if ((m = key.match(/^monthly-workbook:(\d+):\d{4}-\d{2}(:file)?$/))) return { kind: 'monthly_report', id: n(m[1]) }
  if ((m = key.match(/^reply:(\d+)(:file)?$/))) return { kind: 'reply', id: n(m[1]) }
  if (key.startsWith('greeting:')) return { kind: 'reply', id: null }
  if (key.startsWith('alert:')) return { kind: 'alert', id: null }
  return { kind: 'other', id: null }
}

interface Message {
  subject: KeySubject
  rows: number[]
  users: Set<string>
  /** Sent to departments, tags, a group chat or a robot: not to one person. */
  group: boolean
}

/**
 * Every existing row gets the subject of its message (a message's parts and plain-text copy,
 * keyed "#2", "#3"…, share it). The person: the one the key names; else, when the message went to
 * exactly one member, that member; a recall takes the person of the row it recalls.
 */
async function backfill(queryRunner: QueryRunner): Promise<void> {
  const messages = new Map<string, Message>()
  let after = 0
  for (;;) {
    const rows = (await queryRunner.query('SELECT id, dedupe_key, recipients FROM outbox_message WHERE id > ? ORDER BY id LIMIT 2000', [after])) as { id: number; dedupe_key: string; recipients: string }[]
    if (rows.length === 0) break
    after = Number(rows[rows.length - 1]!.id)
    for (const row of rows) {
      const base = row.dedupe_key.replace(/#\d+$/, '')
      let message = messages.get(base)
      if (!message) messages.set(base, (message = { subject: subjectOfOldKey(base), rows: [], users: new Set(), group: false }))
      message.rows.push(Number(row.id))
      if (message.subject.kind === 'other' || message.subject.person !== undefined || message.subject.recalls !== undefined) continue
      const to = parseRecipients(row.recipients)
      for (const user of to.touser ?? []) message.users.add(String(user).toLowerCase())
      if ((to.toparty?.length ?? 0) > 0 || (to.totag?.length ?? 0) > 0 || to.chatid !== undefined || to.robot !== undefined || to.touser === undefined) message.group = true
    }
  }
  const people = new Map(
    ((await queryRunner.query('SELECT id, userid FROM person')) as { id: number; userid: string }[]).map((p) => [p.userid.toLowerCase(), Number(p.id)]),
  )
  const personOfRow = new Map<number, number>()
  const personOf = (message: Message): number | null => {
    const { subject } = message
    if (subject.person !== undefined) return subject.person
    if (subject.recalls !== undefined) return personOfRow.get(subject.recalls) ?? null
    if (message.group || message.users.size !== 1) return null
    return people.get([...message.users][0]!) ?? null
  }
  // Recalls last: the rows they recall have their person by then.
  const ordered = [...messages.values()].filter((m) => m.subject.kind !== 'other').sort((a, b) => Number(a.subject.recalls !== undefined) - Number(b.subject.recalls !== undefined))
  const values: [number, string, number | null, number | null][] = []
  for (const message of ordered) {
    const person = personOf(message)
    for (const id of message.rows) {
      if (person !== null) personOfRow.set(id, person)
      values.push([id, message.subject.kind, message.subject.id, person])
    }
  }
  for (let i = 0; i < values.length; i += 300) {
    const batch = values.slice(i, i + 300)
    const cases = batch.map(() => 'WHEN ? THEN ?').join(' ')
    await queryRunner.query(
      `UPDATE outbox_message SET subject_kind = CASE id ${cases} END, subject_id = CASE id ${cases} END, person_id = CASE id ${cases} END WHERE id IN (${batch.map(() => '?').join(', ')})`,
      [...batch.flatMap(([id, kind]) => [id, kind]), ...batch.flatMap(([id, , subjectId]) => [id, subjectId]), ...batch.flatMap(([id, , , person]) => [id, person]), ...batch.map(([id]) => id)],
    )
  }
}

function parseRecipients(json: string): { touser?: unknown[]; toparty?: unknown[]; totag?: unknown[]; chatid?: unknown; robot?: unknown } {
  try {
    const parsed = JSON.parse(json) as unknown
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, never>) : {}
  } catch {
    return {}
  }
}
