import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commands } from '../commands/index.js'
import { createCommandRegistry } from '../src/bot/command-registry.js'
import { defineCommand } from '../src/bot/define-command.js'
import { createDispatcher } from '../src/bot/dispatcher.js'
import { splitMessage } from '../src/bot/command-args.js'
import { normalizeCommandText } from '../src/domain/text/normalize-text.js'
import { editDistance } from '../src/domain/text/normalize-text.js'
import { UserFacingError } from '../src/errors.js'
import { createLogger } from '../src/logger.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const close = defineCommand<{ item: number }>({
  name: '核查',
  aliases: ['check'],
  summary: '核查一个事项',
  usage: '核查 编号 [意见]',
  example: '核查 12 整改到位',
  roles: ['org_admin', 'inspector'],
  parse(args) {
    const match = /^#?(\d+)/.exec(args.text)
    if (!match) throw new UserFacingError('bad_item', `缺少台账编号，收到「${args.text}」。`)
    return { item: Number(match[1]) }
  },
  async run(context, { item }) {
    context.reply(`已核查 #${item}（${context.sender.name}）`)
  },
})

describe('input normalization', () => {
  it.each([
    ['／帮助', '帮助'],
    ['#帮助', '帮助'],
    ['＃１２', '#12'],
    ['进度　１２　６０％　已完成初步整改', '进度 12 60% 已完成初步整改'],
    ['  进度   12 ,  60% ', '进度 12 , 60%'],
    ['进度，12：60％', '进度,12:60%'],
    ['HELP', 'HELP'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeCommandText(input)).toBe(expected)
  })

  it('splits the command word from its arguments, keeping free text as the person wrote it', () => {
    const { word, args } = splitMessage('／进度　＃１２　６０％　已完成初步整改，待验收：下周')
    expect(word).toBe('进度')
    expect(args.tokens.slice(0, 2)).toEqual(['#12', '60%'])
    expect(args.rest(2)).toBe('已完成初步整改，待验收：下周')
    expect(args.rest(5)).toBe('')
    expect(splitMessage('帮助').args.tokens).toEqual([])
    expect(splitMessage('登记\n类别：二\n问题：多头跑').args.rest(0)).toBe('类别：二\n问题：多头跑')
  })
})

describe('the command registry', () => {
  it('refuses two commands answering to the same word at start-up', () => {
    const clash = defineCommand({ ...close, name: '检查', aliases: ['CHECK'] })
    expect(() => createCommandRegistry([close, clash])).toThrow('command word "CHECK" is used by both 核查 and 检查')
    expect(() => createCommandRegistry([...commands, defineCommand({ ...close, name: '帮助' })])).toThrow('command word "帮助"')
  })

  it('finds by name or alias in any case, and suggests the closest for a typo', () => {
    const registry = createCommandRegistry([...commands, close])
    expect(registry.find('Help')?.name).toBe('帮助')
    expect(registry.find('CHECK')?.name).toBe('核查')
    expect(registry.find('JD')?.name).toBe('进度')
    expect(registry.suggest('帮主')?.name).toBe('帮助')
    expect(registry.suggest('chek')?.name).toBe('核查')
    expect(registry.suggest('完全不相干的话')).toBeUndefined()
  })

  it('counts a typo in characters, Chinese or Latin, and guesses only when at most a third of the word is wrong', () => {
    expect(editDistance('帮主', '帮助')).toBe(1)
    expect(editDistance('progres', 'progress')).toBe(1)
    expect(editDistance('进度汇报', '汇报进度')).toBe(4)
    const registry = createCommandRegistry([...commands, close])
    expect(registry.suggest('PROGRES')?.name).toBe('进度')
    expect(registry.suggest('逾其')?.name).toBe('逾期')
    expect(registry.suggest('prgores')).toBeUndefined() // seven letters allow 2 edits; progress is 3 away
  })
})

describe(`the dispatcher on ${dialect}`, () => {
  let db: MigratedDatabase
  const log = createLogger('silent')
  const message = (from: string, content: string) =>
    ({ kind: 'text', from, content, msgId: '1', createTime: '1', agentId: '1', dedupeKey: 'k' }) as const

  beforeAll(async () => {
    db = await createMigratedDatabase()
    await seedRoster(db.dataSource, '县委组织部', [{ userid: 'wangjian', name: '王健', roles: ['org_admin'] }])
    await seedRoster(db.dataSource, '城关镇', [{ userid: 'zhangwei', name: '张伟', roles: ['unit_head'] }])
  })
  afterAll(async () => {
    await db?.close()
  })

  const dispatch = (from: string, content: string) =>
    createDispatcher({ dataSource: db.dataSource, registry: createCommandRegistry([...commands, close]) }).dispatch(message(from, content), log)

  it('runs a command for someone allowed to', async () => {
    expect(await dispatch('WangJian', '核查 #12 整改到位')).toMatchObject({
      reply: { msgtype: 'text', text: { content: '已核查 #12（王健）' } },
      outcome: 'command:核查',
    })
  })

  it('tells someone not allowed who may run it', async () => {
    expect(await dispatch('zhangwei', '核查 12')).toMatchObject({
      reply: { text: { content: '「核查」只有组织部（干部监督科）、专项检查组可以使用。发送「帮助」查看您可用的命令。' } },
      outcome: 'denied:核查',
    })
  })

  it('answers wrong arguments with what was wrong, the usage and an example', async () => {
    expect(await dispatch('wangjian', '核查 十二')).toMatchObject({
      reply: { text: { content: '缺少台账编号，收到「十二」。\n用法：核查 编号 [意见]\n示例：核查 12 整改到位' } },
      outcome: 'bad_arguments:核查',
    })
  })

  it('lists only the commands a person may use in help, and explains one command', async () => {
    const forHead = await dispatch('zhangwei', '帮助')
    const forAdmin = await dispatch('wangjian', 'help')
    expect(JSON.stringify(forHead.reply)).not.toContain('核查 编号')
    expect(JSON.stringify(forAdmin.reply)).toContain('核查 编号 [意见]')
    expect((await dispatch('zhangwei', '帮助 不存在的命令')).reply).toEqual({ msgtype: 'text', text: { content: '没有「不存在的命令」这个命令。发送「帮助」查看全部可用命令。' } })
    const one = await dispatch('wangjian', '帮助 check')
    expect(one.reply).toEqual({ msgtype: 'markdown', markdown: { content: '**核查**（也可输入 check）\n核查一个事项\n用法：`核查 编号 [意见]`\n示例：`核查 12 整改到位`' } })
  })
})
