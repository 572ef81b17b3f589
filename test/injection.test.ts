import fc from 'fast-check'
import type { DataSource } from 'typeorm'
import { checkCard } from '../src/wecom/template-card.js'
import { fitToLimits, type CardMessage } from '../src/wecom/messages.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { enqueue } from '../src/outbox/enqueue.js'
import { ExtensionRequestSchema, OutboxMessageSchema, PersonSchema, UnitSchema } from '../src/db/entities/index.js'
import { runSweep } from '../src/domain/reminders/run-sweep.js'
import { inertLines, inertText } from '../src/wecom/inert-text.js'
import { BYTE_LIMITS, utf8Length } from '../src/wecom/utf8-limits.js'
import { seedCircularAudience } from './helpers/circular-fixture.js'
import { addLedgerItem, chatAs } from './helpers/ledger-fixture.js'
import { seedMeetingMembers } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'
import { TEXT_LIMITS } from '../src/domain/text/text-limits.js'

/**
 * whatever a person types (or an import brings in) and wherever it is put
 * into a message that someone else reads, it adds no markup to that message (docs/wecom.md, Markdown:
 * font colours, links, bold, code, headings, quotes, <@userid> mentions; §4.2: <a href> in
 * text), and every message stored in the outbox is within WeCom's byte limits.
 *
 * The typed text is wrapped in ⟦ ⟧ so that its part of a message can be found again: inside
 * it (up to ⟧, a "…" where it was shortened, or the end of a part) no markup may be left.
 */

/** 2015-08-31 10:00 in Beijing. */
const NOW = new Date('2015-08-31T02:00:00Z')
const OPEN = '⟦'
const CLOSE = '⟧'

const PAYLOADS = [
  '<font color="warning">已销号</font>',
  '<font color="info">',
  '[点击查看](http://evil.example/phish)',
  '<@wangjian>',
  '<@all>',
  '**加粗**',
  '`代码`',
  '\n# 假标题',
  '\n> 假引用',
  '\n**#1 已销号**',
  '<a href="http://evil.example">链接</a>',
  '&lt;font color="warning"&gt;',
  '\u0000\u0007\u001b[31m\u007f\u0085\u009b',
  '\u202e倒序\u202c\u2066隔离\u2069',
  '\ud800',
  '\udc00孤',
  '\r\n\u2028\u2029',
  '😀👨‍👩‍👧',
  '　# 全角空格后的井号',
]

/** Arbitrary text: pieces of markup and control characters mixed with any characters, sometimes very long. */
const hostile = fc
  .oneof(
    { weight: 4, arbitrary: fc.array(fc.oneof(fc.constantFrom(...PAYLOADS), fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 8 })), { minLength: 1, maxLength: 8 }).map((parts) => parts.join('')) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PAYLOADS), fc.integer({ min: 700, max: 3000 })).map(([payload, n]) => `${payload}${'超长内容'.repeat(n)}${payload}`) },
  )
  .map((text) => text.replaceAll(OPEN, '').replaceAll(CLOSE, ''))
  // A command needs something after its number: text of only spaces would be a different test.
  .filter((text) => text.trim() !== '')

/** Characters that open markup, and controls; none may come from typed text. */
const MARKUP_CHARS = /[<>[\]*`&\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** The typed parts of one message (a part of a split message counts on its own). */
function typedSegments(content: string): string[] {
  const body = content.replace(/^（\d+\/\d+）\n/, '')
  const segments: string[] = []
  const firstClose = body.indexOf(CLOSE)
  const firstOpen = body.indexOf(OPEN)
  // A part that starts inside typed text (the message was split within it).
  if (firstClose >= 0 && (firstOpen < 0 || firstClose < firstOpen)) segments.push(body.slice(0, firstClose))
  for (let at = body.indexOf(OPEN); at >= 0; at = body.indexOf(OPEN, at + 1)) {
    const end = body.indexOf(CLOSE, at)
    segments.push(end < 0 ? body.slice(at + 1) : body.slice(at + 1, end))
  }
  // Shortened text ends with "…"; the rest of the line is the message's own.
  return segments.map((s) => s.split('…')[0]!)
}

function markupIn(segment: string): string | null {
  const char = MARKUP_CHARS.exec(segment)
  if (char) return `character U+${char[0].charCodeAt(0).toString(16).padStart(4, '0')}`
  if (LONE_SURROGATE.test(segment)) return 'a lone surrogate'
  // The segment itself follows ⟦: only its own line breaks start lines.
  if (/\n[ \t\u3000]*#/.test(segment)) return 'a heading at a line start'
  return null
}

interface StoredMessage {
  key: string
  channel: string
  msgType: string
  payload: Record<string, Record<string, string>>
}

/**
 * A card is checked against its limits here (checkCard throws), and its fallback — the markdown
 * everyone without cards reads — is what the markup checks read (docs/cards.md, Fallback).
 */
function asChecked(row: StoredMessage): StoredMessage[] {
  if (row.msgType !== 'template_card') return [row]
  const card = row.payload as unknown as CardMessage
  checkCard(card.template_card)
  // Sent in parts when cards are off, as a long text is (src/delivery/wecom-transport.ts).
  return fitToLimits(card.fallback!).map((part) => ({ ...row, msgType: part.msgtype, payload: part as unknown as StoredMessage['payload'] }))
}

/** The byte limit a stored message breaks, if any (docs/wecom.md, Sending app messages and Group robots). */
function overLimit(row: StoredMessage): string | null {
  const { msgType, payload, channel } = row
  const body = payload[msgType]!
  const check = (field: string, limit: number) => (utf8Length(body[field] ?? '') > limit ? `${msgType}.${field} is ${utf8Length(body[field] ?? '')} bytes (limit ${limit})` : null)
  if (msgType === 'text') return check('content', channel === 'webhook' ? BYTE_LIMITS.robotText : BYTE_LIMITS.text)
  if (msgType === 'markdown') return check('content', channel === 'webhook' ? BYTE_LIMITS.robotMarkdown : BYTE_LIMITS.markdown)
  if (msgType === 'textcard') return check('title', BYTE_LIMITS.textcardTitle) ?? check('description', BYTE_LIMITS.textcardDescription)
  return null
}

describe('inertText and inertLines', () => {
  it('turn every markup opener into its full-width form and keep the words', () => {
    expect(inertText('<font color="warning">已销号</font> [点此](http://x) <@wangjian> **粗** `码` A&B')).toBe(
      '＜font color="warning"＞已销号＜/font＞ ［点此］(http://x) ＜@wangjian＞ ＊＊粗＊＊ ｀码｀ A＆B',
    )
    expect(inertText('# 标题\n> 引用\r\n第三行')).toBe('＃ 标题 ＞ 引用 第三行')
    expect(inertLines('# 标题\n  #二\n> 引用\r\n正文 #12')).toBe('＃ 标题\n  ＃二\n＞ 引用\n正文 #12')
    expect(inertText('a\u0000b\u202ec\u0007d\ud800e')).toBe('abcd\ufffde')
    expect(inertText('进度正常，已完成 60%（第2阶段）')).toBe('进度正常，已完成 60%（第2阶段）')
  })
})

describe(`typed text in other people's messages on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedCircularAudience>>
  let chat: ReturnType<typeof chatAs>
  let replies = 0
  let found = 0
  let runs = 0

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedCircularAudience(ds)
    await seedMeetingMembers(ds)
    chat = chatAs(ds, NOW)
  })
  afterAll(async () => {
    await db?.close()
  })

  const ownItem = (values = {}) => addLedgerItem(ds, fixture.campaign.id, fixture.chengguan, { leader: 'lina', person: 'zhaolei' }, values)

  /** Chat as a person; the answer is stored in the outbox as the callback route stores it. */
  async function say(from: string, content: string): Promise<void> {
    const { reply } = await chat(from, content)
    if (reply) await ds.transaction((m) => enqueue(m, { dedupeKey: `reply:test:${++replies}`, subject: { kind: 'other', id: null }, to: { users: [from] }, message: reply, reply: true, urgent: true }, NOW))
  }

  /** Runs a scenario with typed text, then checks every message it stored. */
  async function check(scenario: (typed: string) => Promise<void>, text: string, max: number): Promise<void> {
    const before = (await ds.getRepository(OutboxMessageSchema).maximum('id')) ?? 0
    // Within the field's limit (docs/limits.md): beyond it the text is refused and nothing stored.
    await scenario(`${OPEN}${[...text].slice(0, max - 2).join('')}${CLOSE}`)
    const rows = (await ds.getRepository(OutboxMessageSchema).createQueryBuilder('o').where('o.id > :before', { before }).orderBy('o.id').getMany()).flatMap((r) => asChecked({ key: r.dedupeKey, channel: r.channel, msgType: r.msgType, payload: JSON.parse(r.payload) }))
    runs += 1
    let reached = false
    for (const row of rows) {
      expect(overLimit(row), `${row.key}`).toBeNull()
      const body = row.payload[row.msgType]!
      for (const field of ['content', 'title', 'description']) {
        for (const segment of typedSegments(body[field] ?? '')) {
          reached = true
          expect(markupIn(segment), `${row.key} ${field}: ${JSON.stringify(segment.slice(0, 200))}`).toBeNull()
        }
      }
    }
    if (reached) found += 1
  }

  const property = (scenario: (typed: string) => Promise<void>, max: number, numRuns = 12) =>
    fc.assert(
      fc.asyncProperty(hostile, (text) => check(scenario, text, max)),
      { numRuns },
    )

  const SCENARIOS: Record<string, (typed: string) => Promise<void>> = {
    'a progress note, read by 组织部 in 详情': async (typed) => {
      const item = await ownItem()
      await say('zhaolei', `进度 ${item.id} 50% ${typed}`)
      await say('wangjian', `详情 ${item.id}`)
    },
    'a rectification note, sent to 组织部': async (typed) => {
      const item = await ownItem()
      await say('zhaolei', `完成 ${item.id} ${typed}`)
    },
    'a reason for sending back, sent to those responsible': async (typed) => {
      const item = await ownItem({ status: 'rectified', progress: 100 })
      await say('wangjian', `退回 ${item.id} ${typed}`)
    },
    'a closing opinion, sent to those responsible': async (typed) => {
      const item = await ownItem({ status: 'rectified', progress: 100 })
      await say('liuyang', `销号 ${item.id} ${typed}`)
    },
    'an extension reason, sent to 组织部': async (typed) => {
      const item = await ownItem()
      await say('zhaolei', `延期 ${item.id} 9月30日 ${typed}`)
    },
    'a decision on an extension, sent to the requester': async (typed) => {
      const item = await ownItem()
      const request = await ds.getRepository(ExtensionRequestSchema).save({ ledgerItemId: item.id, requestedById: item.responsiblePersonId!, oldDueDate: item.dueDate, newDueDate: '2015-09-30', reason: '等待批复', status: 'pending' })
      await say('wangjian', `驳回 ${request.id} ${typed}`)
    },
    'a registered problem and measures, sent to those responsible': async (typed) => {
      // One field a line: line breaks and colons would start another field.
      const line = typed.replace(/[\r\n\u2028\u2029\u0085:：]/g, ' ')
      await say('zhangwei', `登记\n类别：(二)\n问题：${line}\n措施：${line}\n目标：全部化解\n时限：9月30日\n责任领导：李娜\n责任人：赵磊`)
    },
    'a meeting’s place and topic, in every participant’s notice, and a leave reason in 会议 详情': async (typed) => {
      const line = typed.replace(/[\r\n\u2028\u2029\u0085]/g, ' ').slice(0, 60)
      await say('wangjian', `会议 新建\n时间：9月10日 15:00\n地点：${line.slice(0, 40)}${CLOSE}\n议题：\n${line}${CLOSE}`)
      const id = await ds.query('SELECT MAX(id) AS id FROM meeting').then((r: { id: number }[]) => Number(r[0]!.id))
      await say('xumin', `参会 ${id} 请假 ${typed}`)
      await say('wangjian', `会议 取消 ${id} ${typed}`)
      await say('wangjian', `会议 详情 ${id}`)
    },
    'a circular’s title and body, in every recipient’s copy': async (typed) => {
      const title = typed.replace(/[\r\n\u2028\u2029\u0085\s]/g, '').slice(0, 60)
      await say('wangjian', `通报 发布 单位 城关镇 ${title}${CLOSE}\n${typed}`)
      await say('wangjian', '通报 列表')
    },
    'names of people and units from an import, in reminders and replies': async (typed) => {
      // As an import stores them: one line, within the columns (counted in characters, as MySQL does).
      const name = [...typed.replace(/[\r\n\u2028\u2029\u0085]/g, ' ')].slice(0, 30).join('')
      const unit = await ds.getRepository(UnitSchema).save({ name: `${name}${CLOSE}${++replies}`, kind: 'town', parentId: null })
      const person = await ds.getRepository(PersonSchema).save({ userid: `imported${replies}`, name: `${name}${CLOSE}`, unitId: unit.id, title: null, mobile: null, viaWechat: false })
      const item = await addLedgerItem(ds, fixture.campaign.id, unit.id, { leader: person.userid, person: person.userid }, { problem: typed, dueDate: '2015-08-20', originalDueDate: '2015-08-20' })
      await say('wangjian', `详情 ${item.id}`)
      await say('wangjian', '逾期')
      await say('wangjian', '统计')
      await runSweep(ds, NOW)
    },
  }

  /** The longest text each scenario's field takes (docs/limits.md); imported names have none. */
  const MAX: Record<string, number> = {
    'a progress note, read by 组织部 in 详情': TEXT_LIMITS.progressNote.max,
    'a rectification note, sent to 组织部': TEXT_LIMITS.rectificationNote.max,
    'a reason for sending back, sent to those responsible': TEXT_LIMITS.reason.max,
    'a closing opinion, sent to those responsible': TEXT_LIMITS.opinion.max,
    'an extension reason, sent to 组织部': TEXT_LIMITS.reason.max,
    'a decision on an extension, sent to the requester': TEXT_LIMITS.opinion.max,
    'a registered problem and measures, sent to those responsible': TEXT_LIMITS.problem.max,
    'a meeting’s place and topic, in every participant’s notice, and a leave reason in 会议 详情': TEXT_LIMITS.reason.max,
    'a circular’s title and body, in every recipient’s copy': TEXT_LIMITS.circularBody.max,
  }

  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    it(name, () => property(scenario, MAX[name] ?? Number.POSITIVE_INFINITY))
  }

  it('found the typed text in the stored messages of most runs (the checks above looked at something)', () => {
    expect(runs).toBeGreaterThan(0)
    expect(found / runs).toBeGreaterThan(0.8)
  })
})
