import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource, EntitySchema, ObjectLiteral } from 'typeorm'
import {
  AgendaItemSchema,
  AttendanceSchema,
  CampaignSchema,
  CampaignUnitSchema,
  CircularLinkSchema,
  CircularReceiptSchema,
  CircularSchema,
  ExtensionRequestSchema,
  InboundMessageSchema,
  InspectionSchema,
  PublicReportSchema,
  PublicReportReporterSchema,
  AccountabilitySchema,
  LedgerItemSchema,
  MeetingSchema,
  MonthlyReportRevisionSchema,
  MonthlyReportSchema,
  OutboxMessageSchema,
  PersonLeaveSchema,
  PersonSeenSchema,
  ListPageSchema,
  PersonQuestionSchema,
  CardStateSchema,
  PersonSchema,
  PhaseSchema,
  PhaseTaskSchema,
  ProblemCategorySchema,
  ProgressUpdateSchema,
  ReminderSentSchema,
  ItemReminderSchema,
  StoredFileChunkSchema,
  EvidenceSchema,
  EvidenceWindowSchema,
  ReminderRecordSchema,
  StoredFileSchema,
  RoleAssignmentSchema,
  SendBudgetSchema,
  SendSlotSchema,
  TaskSubmissionSchema,
  UnitSchema,
  entities,
} from '../src/db/entities/index.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

// Chinese text, an emoji (4 bytes in UTF-8: lost in utf8mb3/latin1), full-width punctuation.
const TEXT = '逼“庸”为“能”：整改到位👍（第①项）'
const AT = new Date('2015-08-31T16:30:00.123Z')

describe(`every entity round-trips on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  const covered = new Set<string>()

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
  })
  afterAll(async () => {
    await db?.close()
  })

  async function roundTrip<T extends ObjectLiteral>(schema: EntitySchema<T>, values: Partial<T>): Promise<T> {
    const saved = await ds.getRepository(schema).save(values as T)
    const loaded = await ds.getRepository(schema).findOneByOrFail(ds.getRepository(schema).metadata.getEntityIdMap(saved) as never)
    expect(loaded).toMatchObject(values as object)
    covered.add(schema.options.name)
    return loaded
  }

  it('stores Chinese text, emoji, calendar dates, instants and flags unchanged', async () => {
    const unit = await roundTrip(UnitSchema, { name: `城关镇${TEXT}`, kind: 'town', parentId: null })
    const child = await roundTrip(UnitSchema, { name: '城关镇社区', kind: 'institution', parentId: unit.id })
    const person = await roundTrip(PersonSchema, {
      userid: 'zhangwei',
      name: '张伟👍',
      unitId: unit.id,
      title: TEXT,
      mobile: '13800000000',
      viaWechat: true,
      active: true,
    })
    await roundTrip(PersonLeaveSchema, { personId: person.id, until: '2015-09-30', deputyId: null, endedAt: AT })
    await roundTrip(PersonSeenSchema, { personId: person.id, topic: 'monthly_reports', seenAt: AT })
    await roundTrip(ListPageSchema, { personId: person.id, command: '逾期', pages: JSON.stringify([TEXT, TEXT]), nextPage: 2, expiresAt: AT })
    await roundTrip(PersonQuestionSchema, { personId: person.id, kind: 'done', subjectId: 12, taskId: 'c1x-_@', responseCode: 'rc'.repeat(100), prompt: TEXT.slice(0, 60), askedAt: AT, expiresAt: AT })
    await roundTrip(CardStateSchema, { taskId: 'c1x-_@', card: TEXT, outcomes: JSON.stringify({ 'item:12': TEXT }), version: 1, updatedAt: AT })
    await roundTrip(RoleAssignmentSchema, { personId: person.id, role: 'unit_head', unitId: child.id })
    const campaign = await roundTrip(CampaignSchema, {
      name: TEXT,
      planName: 'weiguan-buwei',
      planVersion: '2015.1',
      startDate: '2015-07-01',
      endDate: '2015-12-31',
      convenerUnitId: unit.id,
      status: 'active',
      requireEvidence: true,
      evidenceRetentionDays: 180,
    })
    await roundTrip(CampaignUnitSchema, { campaignId: campaign.id, unitId: unit.id, role: 'joint_member' })
    const phase = await roundTrip(PhaseSchema, {
      campaignId: campaign.id,
      code: 'self_check',
      name: '自查整改',
      seq: 2,
      startDate: '2015-08-01',
      endDate: '2015-08-31',
      description: TEXT,
    })
    const task = await roundTrip(PhaseTaskSchema, {
      campaignId: campaign.id,
      phaseId: phase.id,
      code: 'ledger',
      name: TEXT,
      description: TEXT,
      dueDate: '2015-08-31',
    })
    await roundTrip(TaskSubmissionSchema, {
      taskId: task.id,
      unitId: unit.id,
      submittedById: person.id,
      content: TEXT,
      status: 'submitted',
      submittedAt: AT,
    })
    const category = await roundTrip(ProblemCategorySchema, {
      campaignId: campaign.id,
      number: 2,
      label: '(二)',
      name: '履行职责不担当',
      description: TEXT,
    })
    const item = await roundTrip(LedgerItemSchema, {
      campaignId: campaign.id,
      unitId: unit.id,
      categoryId: category.id,
      problem: TEXT,
      measures: TEXT,
      target: TEXT,
      dueDate: '2015-08-31',
      originalDueDate: '2015-08-31',
      responsibleDepartment: '党政办',
      responsibleLeaderId: person.id,
      responsiblePersonId: person.id,
      status: 'in_progress',
      progress: 60,
      isPublic: true,
      isTypicalCase: false,
      rectifiedAt: AT,
      closedAt: null,
    })
    expect(item.createdAt).toBeInstanceOf(Date)
    expect(Math.abs(item.createdAt.getTime() - Date.now())).toBeLessThan(60_000)
    await roundTrip(ProgressUpdateSchema, {
      ledgerItemId: item.id,
      personId: person.id,
      kind: 'progress',
      oldStatus: 'open',
      newStatus: 'in_progress',
      oldProgress: 0,
      newProgress: 60,
      note: TEXT,
    })
    await roundTrip(ExtensionRequestSchema, {
      ledgerItemId: item.id,
      requestedById: person.id,
      oldDueDate: '2015-08-31',
      newDueDate: '2015-09-30',
      reason: TEXT,
      status: 'approved',
      decidedById: person.id,
      decidedAt: AT,
      decisionNote: TEXT,
    })
    const report = await roundTrip(MonthlyReportSchema, {
      campaignId: campaign.id,
      unitId: unit.id,
      month: '2015-08',
      content: TEXT,
      submittedById: person.id,
      submittedAt: AT,
      revision: 2,
    })
    await roundTrip(MonthlyReportRevisionSchema, { reportId: report.id, revision: 1, content: TEXT, submittedById: person.id, submittedAt: AT })
    const inspection = await roundTrip(InspectionSchema, {
      campaignId: campaign.id,
      unitId: unit.id,
      inspectorId: person.id,
      method: 'unannounced',
      inspectedOn: '2015-09-15',
      findings: TEXT,
      categoryId: null,
      mustRectify: true,
      ledgerItemId: item.id,
      isTypicalCase: true,
    })
    const publicReport = await roundTrip(PublicReportSchema, {
      campaignId: campaign.id,
      source: 'telephone',
      receivedOn: '2015-09-14',
      content: TEXT,
      unitId: unit.id,
      concernedPerson: TEXT.slice(0, 20),
      registeredById: person.id,
      assignedToId: person.id,
      verifyBy: '2015-09-30',
      status: 'verified',
      verdict: 'partly_true',
      verdictNote: TEXT,
      verifiedAt: AT,
      inspectionId: inspection.id,
    })
    await roundTrip(PublicReportReporterSchema, { publicReportId: publicReport.id, anonymous: false, name: '群众', contact: '13900000000' })
    await roundTrip(AccountabilitySchema, {
      campaignId: campaign.id,
      inspectionId: inspection.id,
      unitId: unit.id,
      personId: person.id,
      measure: 'admonishment',
      decidedOn: '2015-10-10',
      note: TEXT,
      recordedById: person.id,
      notifiedAt: AT,
    })
    const meeting = await roundTrip(MeetingSchema, {
      campaignId: campaign.id,
      title: '专项治理联席会议',
      startsAt: AT,
      place: '县委三楼会议室',
      convenerId: person.id,
      status: 'scheduled',
      minutes: TEXT,
    })
    await roundTrip(AgendaItemSchema, { meetingId: meeting.id, seq: 1, topic: TEXT, decision: TEXT, ledgerItemId: item.id })
    await roundTrip(AttendanceSchema, { meetingId: meeting.id, personId: person.id, response: 'leave', reason: TEXT, respondedAt: AT })
    const outbox = await roundTrip(OutboxMessageSchema, {
      dedupeKey: `overdue:${item.id}:2015-09-01:1`,
      channel: 'app',
      recipients: JSON.stringify({ touser: ['zhangwei'] }),
      msgType: 'markdown',
      payload: JSON.stringify({ content: TEXT }),
      status: 'pending',
      urgent: false,
      attempts: 0,
      nextAttemptAt: AT,
      claimedAt: null,
      claimedBy: null,
      lastError: null,
      wecomMsgid: null,
      sentAt: null,
    })
    const circular = await roundTrip(CircularSchema, {
      campaignId: campaign.id,
      kind: 'typical_case',
      title: TEXT,
      body: TEXT,
      audience: JSON.stringify({ type: 'towns' }),
      sentById: person.id,
      status: 'sent',
      sentAt: AT,
      recalledAt: null,
    })
    await roundTrip(CircularReceiptSchema, {
      circularId: circular.id,
      personId: person.id,
      unitId: unit.id,
      outboxMessageId: outbox.id,
      acknowledgedAt: AT,
      remindedAt: null,
    })
    await roundTrip(CircularLinkSchema, { circularId: circular.id, ledgerItemId: item.id, inspectionId: null })
    await roundTrip(ReminderSentSchema, { subject: `task:1:unit:${unit.id}`, stage: 'due-7', sentOn: '2015-09-01' })
    await roundTrip(ItemReminderSchema, { ledgerItemId: item.id, dueDate: '2015-08-31', stage: -3, sentOn: '2015-08-26' })
    const file = await roundTrip(StoredFileSchema, { filename: `${TEXT}.xlsx`.slice(-200), byteSize: 7, sha256: 'a'.repeat(64), mediaId: 'media-1', mediaType: 'image', contentKey: `${'a'.repeat(64)}:7`, mediaUploadedAt: AT })
    await roundTrip(StoredFileChunkSchema, { fileId: file.id, seq: 0, data: Buffer.from([0, 1, 2, 255, 254, 0, 7]) })
    const evidenceItem = (await ds.getRepository(LedgerItemSchema).find({ take: 1 }))[0]!
    const evidenceBy = (await ds.getRepository(PersonSchema).find({ take: 1 }))[0]!
    await roundTrip(EvidenceSchema, {
      ledgerItemId: evidenceItem.id,
      personId: evidenceBy.id,
      dedupeKey: `msg:${'9'.repeat(20)}:zhangwei`,
      kind: 'image',
      mediaId: 'm'.repeat(256),
      format: 'amr',
      latitude: '-89.123456789012345678',
      longitude: '179.00000001',
      scale: 15,
      label: TEXT.slice(0, 60),
      status: 'stored',
      storedFileId: file.id,
      contentType: 'image/jpeg',
      byteSize: 7,
      attempts: 3,
      nextAttemptAt: AT,
      lastError: TEXT.slice(0, 60),
      ackKey: `evidence:${'a'.repeat(40)}`,
      receivedAt: AT,
      attachedAt: AT,
    })
    await roundTrip(EvidenceWindowSchema, { personId: evidenceBy.id, ledgerItemId: evidenceItem.id, until: AT })
    await roundTrip(ReminderRecordSchema, {
      campaignId: evidenceItem.campaignId,
      ledgerItemId: evidenceItem.id,
      unitId: evidenceItem.unitId,
      stage: 'escalate-7',
      stageDays: 7,
      dueDate: '2015-08-31',
      audience: 'org',
      personId: evidenceBy.id,
      forPersonId: null,
      outboxKey: `digest:zhangwei:2015-09-09:${'f'.repeat(14)}`,
      queuedAt: AT,
      deliveredAt: AT,
    })
    await roundTrip(SendBudgetSchema, { recipient: 'user:zhangwei' })
    await roundTrip(SendSlotSchema, { recipient: 'user:zhangwei', outboxId: outbox.id, at: AT, settled: true, fingerprint: 'f'.repeat(64) })
    await roundTrip(InboundMessageSchema, {
      dedupeKey: 'msg:4561255354251345929',
      msgId: '4561255354251345929',
      fromUser: 'zhangwei',
      msgType: 'text',
      event: null,
      content: `进度 12 60% ${TEXT}`,
      status: 'processed',
      error: null,
      receivedAt: AT,
      processedAt: AT,
    })
  })

  it('covered every entity', () => {
    expect([...covered].sort()).toEqual(entities.map((e) => e.options.name).sort())
  })

  it('keeps a 64-bit MsgId exactly (it is beyond Number.MAX_SAFE_INTEGER)', async () => {
    const row = await ds.getRepository(InboundMessageSchema).findOneByOrFail({ msgId: '4561255354251345929' })
    expect(row.msgId).toBe('4561255354251345929')
  })

  it.runIf(dialect === 'mysql')('runs every MySQL session in UTC, so CURRENT_TIMESTAMP defaults agree with the app', async () => {
    // Several at once, so that more than the pool's first connection is checked.
    const zones = await Promise.all(Array.from({ length: 5 }, () => ds.query('SELECT @@session.time_zone AS tz, SLEEP(0.05) AS s')))
    expect(zones.map(([row]) => row.tz)).toEqual(Array(5).fill('+00:00'))
  })

  it('stores instants in UTC on the database itself', async () => {
    const [row] = await ds.query(
      dialect === 'mysql'
        ? "SELECT DATE_FORMAT(submitted_at, '%Y-%m-%d %H:%i:%s') AS at FROM monthly_report"
        : "SELECT substr(submitted_at, 1, 19) AS at FROM monthly_report",
    )
    expect(row.at).toBe('2015-08-31 16:30:00')
  })
})
