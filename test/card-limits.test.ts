import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { LedgerItem } from '../src/db/entities/index.js'
import { circularCard, digestCard, extensionCard, meetingCard, verifyCard } from '../src/domain/cards/build-cards.js'
import { cardWithOutcome } from '../src/domain/cards/card-record.js'
import { CARD_LIMITS, checkCard, CardLimitError, fitCard, type TemplateCard } from '../src/wecom/template-card.js'
import { utf8Length } from '../src/wecom/utf8-limits.js'

/** Any text people or an import may put in a card: long, Chinese, emoji, line breaks, markup, lone surrogates. */
const anyText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 400 }),
  fc.string({ unit: fc.constantFrom('招', '商', '引', '资', '👍', '🔴', '\n', ' ', '<', '*', '#', '\ud800', 'ａ'), maxLength: 600 }),
  fc.constant(''),
)

const item = (id: number, problem: string, dueDate: string): LedgerItem =>
  ({ id, problem, dueDate, originalDueDate: dueDate, status: 'in_progress', progress: 40, unitId: 1, campaignId: 1 }) as LedgerItem

const withinLimits = (card: TemplateCard) => {
  expect(() => checkCard(card)).not.toThrow()
  for (const button of card.button_list ?? []) expect(utf8Length(button.key)).toBeLessThanOrEqual(CARD_LIMITS.keyBytes)
}

describe('every card is built within WeCom’s limits, whatever the texts (docs/cards.md, Limits)', () => {
  it('a digest of up to 30 items with any problem texts, and its updates item by item', () => {
    fc.assert(
      fc.property(fc.array(anyText, { minLength: 1, maxLength: 30 }), fc.array(fc.string({ maxLength: 8 }), { maxLength: 5 }), (problems, more) => {
        const items = problems.map((problem, i) => item(99_990 + i, problem, i % 2 === 0 ? '2015-08-20' : '2015-09-02'))
        const message = digestCard({ items, more, today: '2015-08-31', text: 'x' })!
        let card = message.template_card
        withinLimits(card)
        expect(card.button_selection!.option_list).toHaveLength(Math.min(10, items.length))
        // Settling every offered item one after another: always within limits, greyed only at the end.
        for (const option of [...card.button_selection!.option_list]) {
          expect(card.replace_text).toBeUndefined()
          card = cardWithOutcome(card, { subjectKey: `item:${option.id}`, itemId: Number(option.id), word: '已报整改', line: `已报整改（${problems[0]}）`, settled: true })
          withinLimits(card)
        }
        expect(card.replace_text).toBe('已处理')
      }),
      { numRuns: 150 },
    )
  })

  it('extension, verify, circular and meeting cards with any names, problems, reasons and titles', () => {
    fc.assert(
      fc.property(anyText, anyText, anyText, fc.array(anyText, { maxLength: 12 }), (name, problem, reason, topics) => {
        const cards = [
          extensionCard({ requestId: 123_456_789, itemId: 987_654_321, problem, requester: name, from: '9月2日', to: '2016年1月31日', reason, text: 'x' }),
          verifyCard({ itemId: 987_654_321, problem, reporter: name, detail: reason, text: 'x' }),
          circularCard({ id: 123_456, label: '典型案例通报', title: problem, body: reason, from: name, text: 'x' }),
          meetingCard({ id: 77, title: name || '联席会议', when: '9月8日（周二）15:00', place: reason, topics, text: 'x' }),
        ]
        for (const { template_card: card } of cards) {
          withinLimits(card)
          withinLimits(cardWithOutcome(card, { subjectKey: 's', itemId: null, word: '已处理', line: `已批准（${name} 10:32）`, settled: true }))
        }
      }),
      { numRuns: 150 },
    )
  })

  it('what the code chose itself is not cut to fit but refused: too many buttons, a long button text, a repeated key', () => {
    const base: TemplateCard = { card_type: 'button_interaction', main_title: { title: '标题' }, button_list: [{ text: '批准', key: 'approve:1' }] }
    expect(() => fitCard({ ...base, button_list: Array.from({ length: 7 }, (_, i) => ({ text: '按钮', key: `k${i}` })) })).toThrow(CardLimitError)
    expect(() => fitCard({ ...base, button_list: [{ text: '这是一个超过十个字的按钮文字', key: 'k' }] })).toThrow(CardLimitError)
    expect(() => fitCard({ ...base, button_list: [{ text: 'a', key: 'k' }, { text: 'b', key: 'k' }] })).toThrow(CardLimitError)
    expect(() => fitCard({ ...base, button_list: [{ text: 'a', key: 'k'.repeat(1025) }] })).toThrow(CardLimitError)
    expect(() => fitCard({ ...base, task_id: 'has space' })).toThrow(CardLimitError)
    expect(() => fitCard({ card_type: 'text_notice', main_title: { title: 't' } })).toThrow(CardLimitError)
  })
})
