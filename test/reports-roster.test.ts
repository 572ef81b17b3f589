import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LedgerItemSchema, MonthlyReportRevisionSchema, MonthlyReportSchema, PersonSchema } from '../src/db/entities/index.js'
import { itemRanges } from '../src/domain/spreadsheets/import-report.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { spawnService } from './helpers/service-process.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** Beijing wall-clock time. */
const at = (text: string) => new Date(`${text}+08:00`)
const bytes = (text: string) => Buffer.byteLength(text, 'utf8')

const FIRST = '本月召开推进会1次，查摆问题2个，正在整改。'
const SECOND = '本月召开推进会2次，查摆问题2个，1个已完成整改。\n下月完成剩余整改。'

describe(`reading reports and the roster on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  /** The rig's clock: each test sets the moment it acts at. */
  const clock: { now: Date } = { now: at('2015-08-28T09:00:00') }
  const say = async (userid: string, text: string) => (await rig.say(userid, text)).answer
  const cli = async (...args: string[]) => {
    const child = spawnService({ DATABASE_URL: db.url }, 'src/cli/main.ts', args)
    return { code: await child.exited, output: child.output().trim() }
  }

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    rig = await startCallbackRig(ds, clock)
  })
  afterAll(async () => {
    await rig?.close()
    await db?.close()
  })

  describe('查看月报', () => {
    const CURRENT = ['**城关镇8月月报**', '张伟 8月31日 10:00 提交（第 2 版）', '> 本月召开推进会2次，查摆问题2个，1个已完成整改。', '> 下月完成剩余整改。', '此前 1 版：', `第 1 版 · 陈静 8月28日 09:00：${FIRST}`]

    beforeAll(async () => {
      clock.now = at('2015-08-28T09:00:00')
      expect(await say('chenjing', `月报 ${FIRST}`)).toBe('已提交城关镇8月月报，报县委组织部（干部监督科）。月底前可重新提交，新内容替换原内容，历次内容均保留。')
      clock.now = at('2015-08-31T10:00:00')
      expect(await say('zhangwei', `月报 ${SECOND}`)).toBe('已重新提交城关镇8月月报（第 2 版），替换了陈静 8月28日 09:00 提交的第 1 版，历次内容均保留。')
      clock.now = at('2015-08-31T10:05:00')
    })

    it('shows 组织部 the text, who submitted it and when, and the version it replaced', async () => {
      expect((await say('wangjian', '查看月报 城关镇')).split('\n')).toEqual(CURRENT)
      expect((await say('liuyang', '查看月报 城关镇 8月')).split('\n')).toEqual(CURRENT)
      expect((await say('wangjian', '查看月报 城关镇 2015-08')).split('\n')).toEqual(CURRENT)
    })

    it('shows a unit’s head, leader and liaison their own unit’s, without naming it', async () => {
      expect((await say('zhangwei', '查看月报')).split('\n')).toEqual(CURRENT)
      expect((await say('lina', '查看月报 本月')).split('\n')).toEqual(CURRENT)
      expect((await say('chenjing', '查看月报 城关镇')).split('\n')).toEqual(CURRENT)
    })

    it('refuses another unit’s head plainly, without the usage, and a person of no such role', async () => {
      expect(await say('sunli', '查看月报 城关镇')).toBe('您只能查看本单位（后港镇）的月报；其他单位的月报由县委组织部查看。')
      expect(await say('zhaolei', '查看月报')).toBe('「查看月报」只有组织部（干部监督科）、专项检查组、第一责任人、分管领导、联络员可以使用。发送「帮助」查看您可用的命令。')
    })

    it('says when a report is missing, with its deadline, for this month, last month (上月, glued) and the unit’s own', async () => {
      expect(await say('sunli', '查看月报')).toBe('后港镇8月月报：未提交（8月31日前报送）。')
      expect(await say('wangjian', '查看月报 后港镇 上月')).toBe('后港镇7月月报：未提交（应于7月31日前报送，已过期）。')
      expect(await say('wangjian', '查看月报 城关镇7月')).toBe('城关镇7月月报：未提交（应于7月31日前报送，已过期）。')
      expect(await say('wangjian', '查看月报 县委宣传部')).toBe('县委宣传部8月月报：没有（该单位不需报送月报）。')
    })

    it('asks 组织部 which unit, refuses an unknown unit with the nearest name, and a month still to come', async () => {
      expect(await say('wangjian', '查看月报')).toBe('请写明要查看哪个单位的月报。\n用法：查看月报 [单位] [月份]\n示例：查看月报 城关镇 上月')
      expect(await say('wangjian', '查看月报 城关 8月')).toBe('没有「城关」这个单位。您是不是指「城关镇」？')
      expect(await say('wangjian', '查看月报 城关镇 2015-09')).toBe('9月还没有到，没有月报。')
      expect(await say('wangjian', '查看月报 城关镇13月')).toBe('「13月」不是月份：写成 2015-08、2015年8月、8月 或 上月，不写则为本月。\n用法：查看月报 [单位] [月份]\n示例：查看月报 城关镇 上月')
    })

    it('a 月报 whose text begins with 查看 is still a report', async () => {
      const text = '查看了各村整改台账，发现问题3个，已整改2个。'
      expect(await say('sunli', `月报 ${text}`)).toBe('已提交后港镇8月月报，报县委组织部（干部监督科）。月底前可重新提交，新内容替换原内容，历次内容均保留。')
      const report = await ds.getRepository(MonthlyReportSchema).findOneByOrFail({ unitId: fixture.hougang, month: '2015-08' })
      expect(report.content).toBe(text)
      expect(await ds.getRepository(MonthlyReportRevisionSchema).countBy({ reportId: report.id })).toBe(1)
      expect((await say('wangjian', '查看月报 后港镇')).split('\n')).toEqual(['**后港镇8月月报**', '孙丽 8月31日 10:05 提交', `> ${text}`])
    })

    it('a long report is read page by page with 更多, each page one message; an earlier version is shortened', async () => {
      // 40 lines of 60 characters: 7,200 bytes, more than three messages.
      const long = Array.from({ length: 40 }, (_, i) => `第${String(i + 1).padStart(2, '0')}条：${'整改'.repeat(27)}。`).join('\n')
      expect(await say('sunli', `月报 ${long}`)).toBe('已重新提交后港镇8月月报（第 2 版），替换了孙丽 10:05 提交的第 1 版，历次内容均保留。')
      const pages = [await say('wangjian', '查看月报 后港镇')]
      while (pages.at(-1)!.includes('发送「更多」')) pages.push(await say('wangjian', '更多'))
      expect(pages.length).toBe(5)
      for (const page of pages) expect(bytes(page)).toBeLessThanOrEqual(2048)
      expect(pages[0]!.split('\n').slice(0, 3)).toEqual(['**后港镇8月月报**', '孙丽 8月31日 10:05 提交（第 2 版）', `> 第01条：${'整改'.repeat(27)}。`])
      expect(pages[0]!.split('\n').at(-1)).toBe('发送「更多」查看下一页（第 1/5 页）')
      expect(pages[1]!.split('\n')[0]).toBe('**后港镇8月月报**（续）')
      expect(pages[4]!.split('\n').slice(-4)).toEqual([`> 第40条：${'整改'.repeat(27)}。`, '此前 1 版：', '第 1 版 · 孙丽 8月31日 10:05：查看了各村整改台账，发现问题3个，已整改2个。', '（第 5/5 页，完）'])
      // Every line of the report is on some page, once.
      const quoted = pages.flatMap((p) => p.split('\n')).filter((l) => l.startsWith('> 第'))
      expect(quoted.length).toBe(40)
      // That long version, once replaced, is shown in one shortened line.
      expect(await say('sunli', '月报 第三版：各村整改台账已全部复核。')).toBe('已重新提交后港镇8月月报（第 3 版），替换了孙丽 10:05 提交的第 2 版，历次内容均保留。')
      const after = (await say('wangjian', '查看月报 后港镇')).split('\n')
      expect(after.slice(3)).toEqual(['此前 2 版：', `第 2 版 · 孙丽 8月31日 10:05：第01条：${'整改'.repeat(27)}…`, '第 1 版 · 孙丽 8月31日 10:05：查看了各村整改台账，发现问题3个，已整改2个。'])
    })
  })

  describe('查看月报 of one long paragraph', () => {
    it('cuts it into lines at a sentence end, so that every page fits', async () => {
      const paragraph = `${'甲'.repeat(149)}。${'乙'.repeat(260)}`
      expect(await say('zhangwei', `月报 ${paragraph}`)).toBe('已重新提交城关镇8月月报（第 3 版），替换了张伟 10:00 提交的第 2 版，历次内容均保留。')
      expect((await say('wangjian', '查看月报 城关镇')).split('\n').slice(0, 5)).toEqual([
        '**城关镇8月月报**',
        '张伟 8月31日 10:05 提交（第 3 版）',
        `> ${'甲'.repeat(149)}。`,
        `> ${'乙'.repeat(200)}`,
        `> ${'乙'.repeat(60)}`,
      ])
    })
  })

  describe('月报 from 组织部', () => {
    it('月报 and a unit’s name points to 查看月报, with this month in the examples', async () => {
      clock.now = at('2015-08-31T10:10:00')
      expect(await say('wangjian', '月报 城关镇')).toBe('查看城关镇的月报请发送：查看月报 城关镇（上月：查看月报 城关镇 2015-07）。全县月报汇总表：月报 汇总 2015-08')
      expect(await say('wangjian', '月报 城关镇 7月')).toBe('查看城关镇的月报请发送：查看月报 城关镇 7月（上月：查看月报 城关镇 2015-07）。全县月报汇总表：月报 汇总 2015-08')
      expect(await say('wangjian', '月报 城关')).toBe('没有「城关」这个单位。您是不是指「城关镇」？查看单位的月报：查看月报 城关镇')
      expect(await say('wangjian', `月报 ${FIRST}`)).toBe(
        '只有单位的第一责任人、联络员可以提交月报，您不是任何单位的第一责任人或联络员。查看单位月报：查看月报 单位名称 [月份]；全县月报汇总表：月报 汇总 2015-08',
      )
      expect(await ds.getRepository(MonthlyReportSchema).countBy({ unitId: fixture.chengguan })).toBe(1)
    })
  })

  describe('名册', () => {
    beforeAll(async () => {
      await ds.getRepository(PersonSchema).update({ userid: 'wufang' }, { undeliverable: 'invaliduser', undeliverableSince: at('2015-08-20T09:00:00') })
    })
    afterAll(async () => {
      await ds.getRepository(PersonSchema).update({ userid: 'wufang' }, { undeliverable: null, undeliverableSince: null })
    })

    it('名册: the units taking part, convener and joint-meeting members first, with people and undeliverable counts', async () => {
      expect((await say('wangjian', '名册')).split('\n')).toEqual([
        '**名册：9 个单位，8 人，1 人不可送达**',
        '县委组织部（牵头单位）：2 人',
        '县“两办”督查室（联席会议成员单位）：0 人',
        '县纪委(监察局)（联席会议成员单位）：0 人',
        '县人社局（联席会议成员单位）：0 人',
        '县委宣传部（联席会议成员单位）：0 人',
        '县信访局（联席会议成员单位）：0 人',
        '县直机关工委（联席会议成员单位）：0 人',
        '城关镇：4 人',
        '后港镇：2 人，1 人不可送达',
        '查看单位人员：名册 城关镇',
        '不可送达：企业微信拒收机器人消息，请在管理后台调整应用可见范围或许可，或更新花名册。',
      ])
    })

    it('名册 城关镇 / 后港镇: the people with userids and roles in Chinese, the undeliverable marked', async () => {
      expect((await say('wangjian', '名册 城关镇')).split('\n')).toEqual([
        '**城关镇名册（4 人）**',
        '张伟 zhangwei · 第一责任人',
        '李娜 lina · 分管领导',
        '陈静 chenjing · 联络员',
        '赵磊 zhaolei · 具体责任人',
      ])
      expect((await say('wangjian', '名册 后港镇')).split('\n')).toEqual([
        '**后港镇名册（2 人）**',
        '孙丽 sunli · 第一责任人',
        '吴芳 wufang · 具体责任人 · ⚠️不可送达（不在应用可见范围或已离开企业）',
        '不可送达：企业微信拒收机器人消息，请在管理后台调整应用可见范围或许可，或更新花名册。',
      ])
    })

    it('refuses an unknown unit with the nearest name, and anyone but 组织部', async () => {
      expect(await say('wangjian', '名册 后港')).toBe('没有「后港」这个单位。您是不是指「后港镇」？')
      expect(await say('zhangwei', '名册')).toBe('「名册」只有组织部（干部监督科）可以使用。发送「帮助」查看您可用的命令。')
    })

    it('npm run cli -- roster list [--unit]: the same roster as a table; an unknown unit exits 1', async () => {
      const units = await cli('roster', 'list')
      expect(units.code).toBe(0)
      expect(units.output.split('\n')).toEqual([
        '单位            参加方式          人数  不可送达',
        '县委组织部      牵头单位             2         0',
        '县“两办”督查室  联席会议成员单位     0         0',
        '县纪委(监察局)  联席会议成员单位     0         0',
        '县人社局        联席会议成员单位     0         0',
        '县委宣传部      联席会议成员单位     0         0',
        '县信访局        联席会议成员单位     0         0',
        '县直机关工委    联席会议成员单位     0         0',
        '城关镇          参加单位             4         0',
        '后港镇          参加单位             2         1',
        `共 9 个单位，8 人，1 人不可送达（专项治理 #${fixture.campaign.id}「${fixture.campaign.name}」）。`,
      ])
      const people = await cli('roster', 'list', '--unit', '后港镇')
      expect(people).toEqual({ code: 0, output: ['姓名  账号    角色        不可送达', '孙丽  sunli   第一责任人', '吴芳  wufang  具体责任人  invaliduser', '后港镇：2 人，1 人不可送达。'].join('\n') })
      expect(await cli('roster', 'list', '--unit', '后港')).toEqual({ code: 1, output: '没有「后港」这个单位。您是不是指「后港镇」？' })
    })
  })

  describe('ledger import numbering', () => {
    it('names the items created and updated, consecutive ones as a range', async () => {
      expect(itemRanges([26, 3, 21, 22, 23, 24, 25, 7, 8])).toBe('#3、#7、#8、#21–#26')
      expect(itemRanges([5])).toBe('#5')
      // A re-import changing every other row of thousands: the first twenty, then 等.
      const everyOther = Array.from({ length: 2500 }, (_, n) => 4 + 2 * n)
      expect(itemRanges(everyOther)).toBe(`${everyOther.slice(0, 20).map((id) => `#${id}`).join('、')} 等`)
      expect(itemRanges([...everyOther.slice(0, 19), 100_000, 100_001, 100_002])).toBe(`${everyOther.slice(0, 19).map((id) => `#${id}`).join('、')}、#100000–#100002`)
      const dir = mkdtempSync(join(tmpdir(), 'import-numbers-'))
      const path = join(dir, '台账.csv')
      const { overdue, soon, other } = fixture.items
      const rows = [
        '编号,单位,问题类别,问题描述,整改措施,整治目标,完成时限,责任部门,责任领导,具体责任人,是否公开',
        `${overdue},城关镇,(一),招商引资项目跑办不积极，两个竞争性项目未按时申报,成立专班，每周调度,按期完成,2015-08-25,,李娜,赵磊,否`,
        `${soon},城关镇,(六),便民服务大厅办事群众反映多头跑,成立专班，倒排时间,按期完成,2015-09-02,,李娜,陈静,否`,
        `${other},后港镇,(二),农村人居环境整治推进缓慢,成立专班，分片包干,按期完成,2015-09-30,,孙丽,吴芳,否`,
        ...['信访件转办后推诿扯皮', '重点项目协调会议定事项落实慢', '村级财务公开不及时', '窗口工作人员迟到早退'].map((problem) => `,城关镇,(二),${problem},建立首办责任制,按期办结,2015-10-30,,李娜,赵磊,否`),
      ]
      writeFileSync(path, `${rows.join('\n')}\n`)
      expect(await cli('import', 'ledger', path, '--dry-run')).toEqual({ code: 0, output: `检查通过（试运行，未写入）：7 行台账条目，将新增 4 项；更新 2 项（#${overdue}、#${other}）；未变 1 项。` })
      const imported = await cli('import', 'ledger', path)
      const created = (await ds.getRepository(LedgerItemSchema).find({ order: { id: 'ASC' } })).slice(-4).map((i) => i.id)
      expect(created[3]! - created[0]!).toBe(3)
      expect(imported).toEqual({ code: 0, output: `已导入 7 行台账条目：新增 4 项（#${created[0]}–#${created[3]}）；更新 2 项（#${overdue}、#${other}）；未变 1 项。` })
    })
  })
})
