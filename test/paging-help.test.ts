import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { ListPageSchema } from '../src/db/entities/index.js'
import { cutIntoPages } from '../src/domain/conversation/list-pages.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { addLedgerItem, seedLedger } from './helpers/ledger-fixture.js'
import { seedMeetingMembers } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const bj = (at: string) => new Date(`${at}+08:00`)
const bytes = (text: string) => Buffer.byteLength(text, 'utf8')

/** Long lists cut into pages that 更多 continues, on any instance; help that fits one message and shows each role its own verbs. */
describe(`paging and help on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  let second: Awaited<ReturnType<typeof startCallbackRig>>
  const clock = { now: bj('2015-09-15T10:00:00') }

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    const { campaign, chengguan } = await seedLedger(ds)
    await seedMeetingMembers(ds)
    // 32 more overdue items in 城关镇: with seedLedger's #1 and #2, 34 overdue, one unit heading → 35 lines.
    for (let i = 0; i < 32; i++) await addLedgerItem(ds, campaign.id, chengguan, { leader: 'lina', person: 'zhaolei' }, { problem: `干部作风问题第${i + 1}项`, dueDate: '2015-09-01' })
    rig = await startCallbackRig(ds, clock)
    // A second instance on the same database: 更多 is answered wherever it lands.
    second = await startCallbackRig(ds, clock)
  })
  afterAll(async () => {
    await rig?.close()
    await second?.close()
    await db?.close()
  })

  it('逾期 across three pages, 更多 on either instance, then nothing left', async () => {
    const first = (await rig.say('wangjian', '逾期')).answer.split('\n')
    expect(first[0]).toBe('**逾期未整改 34 项**')
    expect(first[1]).toBe('城关镇（34 项）')
    expect(first).toHaveLength(17)
    expect(first.at(-1)).toBe('发送「更多」查看下一页（第 1/3 页）')
    const page2 = (await second.say('wangjian', '更多')).answer.split('\n')
    expect(page2[0]).toBe('**逾期未整改 34 项**（续）')
    expect(page2).toHaveLength(17)
    expect(page2.at(-1)).toBe('发送「更多」查看下一页（第 2/3 页）')
    const page3 = (await rig.say('wangjian', '更多')).answer.split('\n')
    expect(page3[0]).toBe('**逾期未整改 34 项**（续）')
    expect(page3.at(-1)).toBe('（第 3/3 页，完）')
    // Every item once, in order, across the three pages.
    const numbers = [...first, ...page2, ...page3].flatMap((line) => /^🔴 #(\d+)/.exec(line)?.[1] ?? []).map(Number)
    expect(numbers).toHaveLength(34)
    expect(new Set(numbers).size).toBe(34)
    expect((await rig.say('wangjian', '更多')).answer).toBe('没有可以继续查看的列表：列表分页时才用「更多」，保留 30 分钟。')
  })

  it('a kept list expires after 30 minutes; another person’s 更多 never shows it', async () => {
    await rig.say('wangjian', '逾期')
    expect((await rig.say('liuyang', '更多')).answer).toBe('没有可以继续查看的列表：列表分页时才用「更多」，保留 30 分钟。')
    clock.now = bj('2015-09-15T10:31:00')
    expect((await rig.say('wangjian', '更多')).answer).toBe('上一个列表已超过 30 分钟，请重新发送「逾期」。')
    expect(await ds.getRepository(ListPageSchema).count()).toBe(0)
    clock.now = bj('2015-09-15T10:00:00')
  })

  it('the last list is the one continued: another person’s list leaves it alone, an empty or short list of one’s own replaces it', async () => {
    await rig.say('wangjian', '逾期')
    await rig.say('sunli', '我的')
    expect((await rig.say('wangjian', '更多')).answer.split('\n')[0]).toBe('**逾期未整改 34 项**（续）')
    expect((await rig.say('wangjian', '我的')).answer).toBe('您目前没有未销号的台账事项。')
    expect((await rig.say('wangjian', '更多')).answer).toBe('没有可以继续查看的列表：列表分页时才用「更多」，保留 30 分钟。')
    await rig.say('wangjian', '逾期')
    expect((await rig.say('wangjian', '逾期 后港镇')).answer).toBe('没有逾期未整改的事项。')
    expect((await rig.say('wangjian', '更多')).answer).toBe('没有可以继续查看的列表：列表分页时才用「更多」，保留 30 分钟。')
  })

  it('cuts long lines by bytes: every page within a text message, every line on exactly one page', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `- #${i + 1} ${'长'.repeat(90)}`)
    const pages = cutIntoPages({ title: '**很长的列表**', lines, footer: '操作：进度 编号' })
    for (const page of pages) expect(bytes(page)).toBeLessThanOrEqual(2048)
    expect(pages.length).toBeGreaterThan(3)
    expect(pages.flatMap((page) => page.split('\n').filter((line) => line.startsWith('- #')))).toEqual(lines)
    expect(pages.at(-1)!.split('\n').slice(-2)).toEqual([`（第 ${pages.length}/${pages.length} 页，完）`, '操作：进度 编号'])
    expect(cutIntoPages({ title: '**短列表**', lines: ['- 一行'] })).toEqual(['**短列表**\n- 一行'])
  })

  it('帮助 fits one message for every role', async () => {
    for (const who of ['wangjian', 'liuyang', 'zhangwei', 'lina', 'chenjing', 'zhaolei', 'xumin']) {
      const help = (await rig.say(who, '帮助')).answer
      expect(bytes(help), `${who}: ${help}`).toBeLessThanOrEqual(2048)
      expect(help.split('\n').at(-1)).toBe('「帮助 命令」看用法和示例')
    }
  })

  it('a responsible person sees only the verbs they may use; 帮助 命令 gives each with an example', async () => {
    const staff = (await rig.say('zhaolei', '帮助')).answer.split('\n')
    expect(staff).toContain('- `会议 列表|详情` 联席会议')
    expect(staff.join('\n')).not.toMatch(/新建|通报 |销号 编号/)
    expect((await rig.say('zhaolei', '帮助 会议')).answer.split('\n')).toEqual([
      '**会议**（也可输入 meeting）',
      '联席会议',
      '- `会议 列表`',
      '  例：会议',
      '- `会议 详情 编号`',
      '  例：会议 详情 3',
    ])
    const admin = (await rig.say('wangjian', '帮助 会议')).answer
    expect(admin).toContain('- `会议 改期 编号 日期 时刻`\n  例：会议 改期 3 9月11日 10:00')
    expect((await rig.say('wangjian', '帮助')).answer).toContain('- `会议 列表|详情|新建|改期|改地点|取消|参会人|纪要` 联席会议')
    expect((await rig.say('zhaolei', '帮助 通报')).answer).toBe('**通报**（也可输入 circular）\n通报：发布、确认情况、撤回\n此命令供组织部（干部监督科）使用，您当前的身份不能使用。')
    // A wrong argument is answered with the usage of the verb typed, or of the sender's own verbs.
    expect((await rig.say('wangjian', '会议 改期 下周')).answer).toBe('「下周」不是有效的会议编号，应为数字，例：12 或 #12。\n用法：会议 改期 编号 日期 时刻\n示例：会议 改期 3 9月11日 10:00')
    expect((await rig.say('zhaolei', '会议 改期 下周')).answer).toBe('「会议 改期」只有组织部（干部监督科）可以使用。发送「帮助」查看您可用的命令。')
    expect((await rig.say('zhaolei', '会议 详情 下周')).answer).toBe('「下周」不是有效的会议编号，应为数字，例：12 或 #12。\n用法：会议 详情 编号\n示例：会议 详情 3')
    expect((await rig.say('zhaolei', '会议 开会')).answer).toBe('「开会」不是会议的操作。可用：列表、新建、召集、详情、查看、改期、改时间、改地点、取消、参会人、纪要。\n用法：会议 列表；会议 详情 编号\n示例：会议')
    expect((await rig.say('zhaolei', '帮助 进度')).answer).toBe('**进度**（也可输入 progress、jd）\n反馈整改进度\n用法：`进度 编号 百分比 说明`\n示例：`进度 12 60% 已完成初步整改`')
  })
})
