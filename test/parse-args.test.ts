import { describe, expect, it } from 'vitest'
import { normalizeCommandText } from '../src/domain/text/normalize-text.js'
import { parseDate, parseItemNumber, parsePercent } from '../src/bot/parse-args.js'
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
