import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { enqueue } from '../src/outbox/enqueue.js'
import { outboxBacklog, quietHoursEnd, quietHoursNote, quietHoursText } from '../src/outbox/outbox-backlog.js'
import { OutboxMessageSchema, type OutboxStatus } from '../src/db/entities/index.js'
import { text } from '../src/wecom/messages.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const QUIET = { startMinute: 21 * 60, endMinute: 8 * 60 }
const NEVER_QUIET = { startMinute: 0, endMinute: 0 }
/** Beijing wall-clock time on 2026-11-25/26 as an instant. */
const at = (iso: string) => new Date(`${iso}+08:00`)

describe(`the outbox backlog read for /metrics on ${dialect}`, () => {
  let db: MigratedDatabase
  let seq = 0

  beforeAll(async () => {
    db = await createMigratedDatabase()
  })
  afterAll(async () => {
    await db?.close()
  })
  beforeEach(async () => {
    await db.dataSource.query('DELETE FROM outbox_message')
  })

  async function put(due: Date, options: { urgent?: boolean; status?: OutboxStatus } = {}) {
    seq += 1
    const key = `backlog-${seq}`
    await db.dataSource.transaction((m) => enqueue(m, { dedupeKey: key, subject: { kind: 'other', id: null }, to: { users: ['zhangwei'] }, message: text(`第 ${seq} 条`), urgent: options.urgent, notBefore: due }, due))
    if (options.status) await db.dataSource.getRepository(OutboxMessageSchema).update({ dedupeKey: key }, { status: options.status })
  }

  it('counts pending, sending and dead rows, never the sent or cancelled history', async () => {
    const due = at('2026-11-26T10:00:00')
    for (const status of ['pending', 'pending', 'sending', 'dead', 'sent', 'sent', 'cancelled'] as const) await put(due, { status })
    expect(await outboxBacklog(db.dataSource, at('2026-11-26T10:00:00'), NEVER_QUIET)).toEqual({ pending: 2, sending: 1, dead: 1, heldForQuietHours: 0, oldestDueSeconds: 0 })
  })

  it('is empty with an empty outbox', async () => {
    expect(await outboxBacklog(db.dataSource, at('2026-11-26T10:00:00'), QUIET)).toEqual({ pending: 0, sending: 0, dead: 0, heldForQuietHours: 0, oldestDueSeconds: 0 })
  })

  it('measures the oldest due pending row, and not rows scheduled for later', async () => {
    await put(at('2026-11-26T09:00:00'))
    await put(at('2026-11-26T09:05:00'))
    await put(at('2026-11-26T12:00:00'))
    expect((await outboxBacklog(db.dataSource, at('2026-11-26T09:10:00'), QUIET)).oldestDueSeconds).toBe(600)
    expect((await outboxBacklog(db.dataSource, at('2026-11-26T08:59:00'), QUIET)).oldestDueSeconds).toBe(0)
  })

  it('does not count a message held back by quiet hours until they end, then counts from their end', async () => {
    await put(at('2026-11-25T21:30:00'))
    expect((await outboxBacklog(db.dataSource, at('2026-11-26T04:00:00'), QUIET)).oldestDueSeconds).toBe(0)
    expect((await outboxBacklog(db.dataSource, at('2026-11-26T08:05:00'), QUIET)).oldestDueSeconds).toBe(300)
    // Without quiet hours the same row has been late since it was due.
    expect((await outboxBacklog(db.dataSource, at('2026-11-26T08:05:00'), NEVER_QUIET)).oldestDueSeconds).toBe(10.5 * 3600 + 300)
  })

  it('counts an urgent message from when it was due, quiet or not', async () => {
    await put(at('2026-11-25T21:30:00'))
    await put(at('2026-11-26T03:00:00'), { urgent: true })
    expect((await outboxBacklog(db.dataSource, at('2026-11-26T04:00:00'), QUIET)).oldestDueSeconds).toBe(3600)
    expect((await outboxBacklog(db.dataSource, at('2026-11-26T08:05:00'), QUIET)).oldestDueSeconds).toBe(5 * 3600 + 300)
  })

  it('counts the messages quiet hours hold back, and says when they go', async () => {
    await put(at('2026-11-25T21:30:00'))
    await put(at('2026-11-25T22:00:00'))
    await put(at('2026-11-26T03:00:00'), { urgent: true })
    expect((await outboxBacklog(db.dataSource, at('2026-11-26T04:00:00'), QUIET)).heldForQuietHours).toBe(2)
    expect((await outboxBacklog(db.dataSource, at('2026-11-26T08:05:00'), QUIET)).heldForQuietHours).toBe(0)
    expect(quietHoursNote(at('2026-11-26T04:00:00'), QUIET)).toBe('静默时段，08:00 后发送')
    expect(quietHoursNote(at('2026-11-25T22:00:00'), QUIET)).toBe('静默时段，明天 08:00 后发送')
    expect(quietHoursNote(at('2026-11-26T08:00:00'), QUIET)).toBeNull()
    expect(quietHoursNote(at('2026-11-26T04:00:00'), NEVER_QUIET)).toBeNull()
    expect(quietHoursEnd(at('2026-11-25T22:00:30'), QUIET)).toEqual(at('2026-11-26T08:00:00'))
    expect(quietHoursNote(at('2026-11-26T12:30:00'), { startMinute: 12 * 60, endMinute: 14 * 60 + 30 })).toBe('静默时段，14:30 后发送')
    expect(quietHoursText(QUIET)).toBe('21:00–08:00')
  })
})
