import { describe, expect, it } from 'vitest'
import { fitToLimits, markdown, markdownToText, toPlainText } from '../src/wecom/messages.js'
import { splitUtf8, TRUNCATION_NOTE, truncateUtf8, utf8Length, utf8Prefix } from '../src/wecom/utf8-limits.js'

const stripHeader = (part: string) => part.replace(/^（\d+\/\d+）\n/, '')

describe('UTF-8 byte limits', () => {
  it('counts bytes, not characters', () => {
    expect(utf8Length('逾期')).toBe(6)
    expect(utf8Length('👍')).toBe(4)
    expect(utf8Length('a')).toBe(1)
  })

  it('never cuts inside a character or a surrogate pair', () => {
    expect(utf8Prefix('逾期整改', 7)).toBe('逾期')
    expect(utf8Prefix('ab👍c', 5)).toBe('ab')
    expect(utf8Prefix('ab👍c', 6)).toBe('ab👍')
  })

  it('truncates with a visible note', () => {
    const long = '整改'.repeat(200)
    const cut = truncateUtf8(long, 512)
    expect(utf8Length(cut)).toBeLessThanOrEqual(512)
    expect(cut.endsWith(TRUNCATION_NOTE)).toBe(true)
    expect(truncateUtf8('短', 512)).toBe('短')
  })

  it('splits an over-long message into numbered parts that each fit and together keep every character', () => {
    const lines = Array.from({ length: 120 }, (_, i) => `🔴 #${i + 1} 城关镇 招商引资项目跑办不积极 8月31日到期`)
    const content = lines.join('\n')
    expect(utf8Length(content)).toBeGreaterThan(2048 * 3)
    const parts = splitUtf8(content, 2048)
    expect(parts.length).toBeGreaterThanOrEqual(4)
    parts.forEach((part, index) => {
      expect(utf8Length(part)).toBeLessThanOrEqual(2048)
      expect(part.startsWith(`（${index + 1}/${parts.length}）\n`)).toBe(true)
      expect(part).not.toContain('\uFFFD')
    })
    // Breaks fall on line ends, so joining the parts with newlines gives the original back.
    expect(parts.map(stripHeader).join('\n')).toBe(content)
  })

  it('cuts a single line longer than a part at a character boundary', () => {
    const content = '问'.repeat(1500)
    const parts = splitUtf8(content, 2048)
    expect(parts).toHaveLength(3)
    for (const part of parts) expect(utf8Length(part)).toBeLessThanOrEqual(2048)
    expect(parts.map(stripHeader).join('')).toBe(content)
  })

  it('leaves a message that fits alone', () => {
    expect(fitToLimits(markdown('**逾期提醒**'))).toEqual([markdown('**逾期提醒**')])
  })

  it('truncates a text card title and description with a visible note', () => {
    const [card] = fitToLimits({
      msgtype: 'textcard',
      textcard: { title: '通报'.repeat(40), description: '典型案例'.repeat(100), url: 'https://x.example/c/1' },
    })
    if (card?.msgtype !== 'textcard') throw new Error('expected a text card')
    expect(utf8Length(card.textcard.title)).toBeLessThanOrEqual(128)
    expect(utf8Length(card.textcard.description)).toBeLessThanOrEqual(512)
    expect(card.textcard.description.endsWith(TRUNCATION_NOTE)).toBe(true)
    expect(card.textcard.url).toBe('https://x.example/c/1')
  })

  it('allows robot markdown up to 4,096 bytes', () => {
    const content = '提'.repeat(1300)
    expect(fitToLimits(markdown(content), 'app')).toHaveLength(2)
    expect(fitToLimits(markdown(content), 'robot')).toHaveLength(1)
  })
})

describe('plain-text rendering for WeChat-plugin members', () => {
  it('strips the markdown subset WeCom renders', () => {
    expect(markdownToText('## 逾期提醒\n> <font color="warning">#12</font> **已逾期** [详情](https://x.example/12) `进度 12 60%`')).toBe(
      '逾期提醒\n#12 已逾期 详情 https://x.example/12 进度 12 60%',
    )
  })

  it('turns cards and markdown into text messages', () => {
    expect(toPlainText(markdown('**提醒**'))).toEqual({ msgtype: 'text', text: { content: '提醒' } })
    expect(
      toPlainText({
        msgtype: 'template_card',
        template_card: {
          card_type: 'text_notice',
          main_title: { title: '通报', desc: '第3期' },
          horizontal_content_list: [{ keyname: '单位', value: '城关镇' }],
          card_action: { type: 1, url: 'https://x.example/c/3' },
        },
      }),
    ).toEqual({ msgtype: 'text', text: { content: '通报\n第3期\n单位：城关镇\nhttps://x.example/c/3' } })
  })
})
