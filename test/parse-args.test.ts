import { describe, expect, it } from 'vitest'
import { normalizeCommandText } from '../src/domain/text/normalize-text.js'
import { splitMessage } from '../src/bot/command-args.js'
import { howDateWasRead, parseDate, parseItemNumber, parsePercent, readDate } from '../src/bot/parse-args.js'
import { nearestUnitNames } from '../src/domain/roster/find-unit.js'
import { UserFacingError } from '../src/errors.js'

// Monday 2015-08-31, Beijing.
const TODAY = '2015-08-31'
const normalized = (text: string) => normalizeCommandText(text)

describe('argument forms people type (after normalization)', () => {
  it.each([
    ['12', 12],
    ['#12', 12],
    ['＃12', 12],
    ['１２', 12],
  ])('item number %s → %s', (input, expected) => {
    expect(parseItemNumber(normalized(`x ${input}`).split(' ')[1])).toBe(expected)
  })

  it.each([
    ['60', 60],
    ['60%', 60],
    ['６０％', 60],
    ['0', 0],
    ['100%', 100],
  ])('percent %s → %s', (input, expected) => {
    expect(parsePercent(normalized(`x ${input}`).split(' ')[1])).toBe(expected)
  })

  it.each([
    ['2015-09-30', '2015-09-30'],
    ['2015/9/30', '2015-09-30'],
    ['2015年9月30日', '2015-09-30'],
    ['9月30日', '2015-09-30'],
    ['9月30', '2015-09-30'],
    ['9.30', '2015-09-30'],
    ['９.３０', '2015-09-30'],
    ['今天', '2015-08-31'],
    ['明天', '2015-09-01'],
    ['本周五', '2015-09-04'],
    ['下周五', '2015-09-11'],
    ['下周一', '2015-09-07'],
    ['月底', '2015-08-31'],
    ['下月底', '2015-09-30'],
  ])('date %s → %s', (input, expected) => {
    expect(parseDate(normalized(`x ${input}`).split(' ')[1], TODAY)).toBe(expected)
  })

  it.each([
    ['an item number in words', () => parseItemNumber('十二'), '「十二」不是有效的台账编号'],
    ['a percentage over 100', () => parsePercent('120%'), '应为 0–100 的百分比'],
    ['a date that does not exist', () => parseDate('2月30日', TODAY), '「2月30日」不是能识别的日期'],
    ['a date in no known form', () => parseDate('过几天', TODAY), '可写 2015-09-30、9月30日、9.30、下周五 或 月底'],
  ])('refuses %s with the forms it accepts', (_name, attempt, message) => {
    expect(attempt).toThrow(UserFacingError)
    expect(attempt).toThrow(message)
  })
})

describe('a date without a year (docs/chat-input.md)', () => {
  it.each([
    ['1月15日', '2026-12-05', '2027-01-15'],
    ['1.15', '2026-12-05', '2027-01-15'],
    ['12月3日', '2026-12-05', '2026-12-03'],
    ['10月6日', '2026-12-05', '2026-10-06'],
    ['10月5日', '2026-12-05', '2027-10-05'],
    ['9/30', '2015-08-31', '2015-09-30'],
    ['2月29日', '2027-12-05', '2028-02-29'],
  ])('%s on %s → %s', (typed, today, expected) => {
    expect(readDate(typed, today)).toEqual({ date: expected, inferredYear: true, typed })
  })

  it('a typed year or a relative word is not inferred', () => {
    expect(readDate('2027-01-15', '2026-12-05').inferredYear).toBe(false)
    expect(readDate('下月底', '2026-12-05')).toEqual({ date: '2027-01-31', inferredYear: false, typed: '下月底' })
  })

  it('says how it was read only when the year is not this year’s', () => {
    expect(howDateWasRead(readDate('1月15日', '2026-12-05'), '2026-12-05')).toBe('「1月15日」按 2027年1月15日 处理。')
    expect(howDateWasRead(readDate('12月30日', '2026-12-05'), '2026-12-05')).toBe('')
    expect(howDateWasRead(readDate('2027-01-15', '2026-12-05'), '2026-12-05')).toBe('')
  })

  it.each([
    ['2月29日', '2027-01-10'],
    ['13月1日', '2026-12-05'],
  ])('refuses %s on %s', (typed, today) => {
    expect(() => readDate(typed, today)).toThrow(`「${typed}」不是能识别的日期`)
  })
})

describe('a command word glued to its number (docs/chat-input.md)', () => {
  const isCommand = (word: string) => ['进度', '详情', '完成', 'jd'].includes(word.toLowerCase())
  const split = (raw: string) => {
    const { word, args } = splitMessage(raw, isCommand)
    return { word, tokens: args.tokens, rest1: args.rest(1) }
  }

  it.each([
    ['进度10 80% 已完成', { word: '进度', tokens: ['10', '80%', '已完成'], rest1: '80% 已完成' }],
    ['详情#15', { word: '详情', tokens: ['#15'], rest1: '' }],
    ['详情＃１５', { word: '详情', tokens: ['#15'], rest1: '' }],
    ['JD10 60% 说明', { word: 'JD', tokens: ['10', '60%', '说明'], rest1: '60% 说明' }],
    ['完成12已整改，并公示：两处', { word: '完成', tokens: ['12', '已整改,并公示:两处'], rest1: '已整改，并公示：两处' }],
    ['/进度 10 80% 说明', { word: '进度', tokens: ['10', '80%', '说明'], rest1: '80% 说明' }],
    ['进展10 80%', { word: '进展10', tokens: ['80%'], rest1: '' }],
  ])('%s', (raw, expected) => {
    expect(split(raw)).toEqual(expected)
  })

  it('is not split without the registry', () => {
    expect(splitMessage('进度10 80%').word).toBe('进度10')
  })
})

describe('unit names close to a typed one', () => {
  const UNITS = ['县委组织部', '城关镇', '城关镇人民政府', '后港镇', '县市场监督管理局', '县人社局', '县纪委(监察局)', '县信访局']

  it.each([
    ['县市场监管局', ['县市场监督管理局']],
    ['城关', ['城关镇', '城关镇人民政府']],
    ['后岗镇', ['后港镇']],
    ['县纪委（监察局', ['县纪委(监察局)']],
    ['县信访', ['县信访局']],
    ['县财政局', []],
    ['镇', []],
  ])('%s → %j', (typed, expected) => {
    expect(nearestUnitNames(typed, UNITS)).toEqual(expected)
  })

  it('suggests three at most, closest first', () => {
    expect(nearestUnitNames('县局', ['县信访局', '县人社局', '县市场监督管理局', '县公安局'])).toEqual(['县信访局', '县人社局', '县公安局'])
  })
})
