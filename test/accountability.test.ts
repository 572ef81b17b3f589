import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AccountabilitySchema, InspectionSchema, OutboxMessageSchema, PersonSchema, type Inspection } from '../src/db/entities/index.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { seedMeetingMembers, seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** 2015-09-08 10:00 in Beijing, a Tuesday. */
const NOW = new Date('2015-09-08T02:00:00Z')
const DENIED = '「问责」只有组织部（干部监督科）可以使用。发送「帮助」查看您可用的命令。'
const TEMPLATE = '问责 登记\n督查：3\n单位：城关镇\n对象：赵磊\n措施：诫勉\n日期：9月8日\n说明：招商引资项目长期未申报，经研究决定\n通知：是'
/** A note only 组织部 may read: it must appear in no other answer nor in any message. */
const NOTE = '经县委常委会研究（内部意见甲乙丙）'

const lines = (...fields: string[]) => ['问责 登记', ...fields].join('\n')

describe(`问责 on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  let finding: Inspection
  let otherFinding: Inspection

  const say = async (userid: string, text: string) => (await rig.say(userid, text)).answer
  const records = () => ds.getRepository(AccountabilitySchema).find({ order: { id: 'ASC' } })
  const notices = () => ds.getRepository(OutboxMessageSchema).find({ where: { subjectKind: 'accountability' }, order: { id: 'ASC' } })
  const personId = async (userid: string) => (await ds.getRepository(PersonSchema).findOneByOrFail({ userid })).id

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    await seedMeetingMembers(ds)
    // A unit whose roster has no head: a decision for it cannot be told to anyone.
    await seedRoster(ds, '县信访局', [{ userid: 'yangfan', name: '杨帆', roles: ['liaison'] }])
    const inspections = ds.getRepository(InspectionSchema)
    const base = { campaignId: fixture.campaign.id, inspectorId: await personId('liuyang'), categoryId: null, isTypicalCase: false }
    finding = await inspections.save({ ...base, unitId: fixture.chengguan, method: 'random_check', inspectedOn: '2015-08-20', findings: '招商引资项目台账与实际不符，两个项目未按时申报', mustRectify: true, ledgerItemId: fixture.items.overdue } as Inspection)
    otherFinding = await inspections.save({ ...base, unitId: fixture.hougang, method: 'full_check', inspectedOn: '2015-08-25', findings: '自查整改台账未公示', mustRectify: false, ledgerItemId: null } as Inspection)
    rig = await startCallbackRig(ds, { now: NOW })
  })
  afterAll(async () => {
    await rig?.close()
    await db?.close()
  })

  it('登记 for a person of the unit, told: the record, notified_at, one message with the measure and date only', async () => {
    const answer = await say('wangjian', lines(`督查：${finding.id}`, '单位：城关镇', '对象：赵磊', '措施：诫勉', '日期：9月7日', `说明：${NOTE}`, '通知：是'))
    const [saved] = await records()
    expect(answer).toBe(`已登记问责 #${saved!.id}：城关镇 赵磊 · 诫勉 · 9月7日\n关联督查#${finding.id}\n已告知赵磊。\n查看：问责 详情 ${saved!.id}`)
    expect(saved).toMatchObject({ campaignId: fixture.campaign.id, inspectionId: finding.id, unitId: fixture.chengguan, personId: await personId('zhaolei'), measure: 'admonishment', decidedOn: '2015-09-07', note: NOTE, recordedById: await personId('wangjian') })
    expect(saved!.notifiedAt).toEqual(NOW)
    const sent = await notices()
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({ subjectKind: 'accountability', subjectId: saved!.id, personId: await personId('zhaolei') })
    expect(JSON.parse(sent[0]!.recipients).touser).toEqual(['zhaolei'])
    expect(JSON.parse(sent[0]!.payload).markdown.content).toBe('**问责告知**\n对象：赵磊（城关镇）\n措施：诫勉\n日期：2015年9月7日\n如有疑问，请与县委组织部干部监督科联系。')
  })

  it('登记 for a unit: its head is told; with no head on the roster, nobody is and 组织部 is asked to tell them', async () => {
    const before = (await records()).length
    const answer = await say('wangjian', lines('单位：后港镇', '措施：通报批评', '日期：9月8日', `说明：${NOTE}`, '通知：是'))
    const unitRecord = (await records())[before]!
    expect(answer).toBe(`已登记问责 #${unitRecord.id}：后港镇 · 通报批评 · 9月8日\n已告知单位第一责任人孙丽。\n查看：问责 详情 ${unitRecord.id}`)
    expect(unitRecord).toMatchObject({ unitId: fixture.hougang, personId: null, measure: 'circulated_criticism', inspectionId: null })
    expect(unitRecord.notifiedAt).toEqual(NOW)
    const toHead = (await notices()).find((n) => n.subjectId === unitRecord.id)!
    expect(JSON.parse(toHead.recipients).touser).toEqual(['sunli'])
    expect(JSON.parse(toHead.payload).markdown.content).toBe('**问责告知**\n对象：后港镇\n措施：通报批评\n日期：2015年9月8日\n如有疑问，请与县委组织部干部监督科联系。')

    const headless = await say('wangjian', lines('单位：县信访局', '措施：谈话提醒', '日期：9.1', '说明：信访件转办推诿', '通知：是'))
    const noHead = (await records()).at(-1)!
    expect(headless).toBe(`已登记问责 #${noHead.id}：县信访局 · 谈话提醒 · 9月1日\n未能告知：县信访局在花名册中没有第一责任人，请另行告知。\n查看：问责 详情 ${noHead.id}`)
    expect(noHead.notifiedAt).toBeNull()
    expect((await notices()).filter((n) => n.subjectId === noHead.id)).toEqual([])
  })

  it('登记 with 通知：否 tells nobody; the unit may come from the finding', async () => {
    const answer = await say('wangjian', lines(`督查：督查#${otherFinding.id}`, '措施：批评教育', '日期：2015-09-02', '说明：公示不到位', '通知：否'))
    const saved = (await records()).at(-1)!
    expect(answer).toBe(`已登记问责 #${saved.id}：后港镇 · 批评教育 · 9月2日\n关联督查#${otherFinding.id}\n未告知单位（通知：否）。\n查看：问责 详情 ${saved.id}`)
    expect(saved).toMatchObject({ unitId: fixture.hougang, inspectionId: otherFinding.id, measure: 'criticism', notifiedAt: null })
    expect((await notices()).filter((n) => n.subjectId === saved.id)).toEqual([])
  })

  it('bad fields are listed at once, with the format; nothing is written', async () => {
    const before = { records: (await records()).length, outbox: await ds.getRepository(OutboxMessageSchema).count({ where: { subjectKind: 'accountability' } }) }
    expect(await say('wangjian', lines('单位：城关', '对象：吴芳', '措施：记过', '日期：9月31日', '通知：也许'))).toBe(
      [
        '未登记，请修改后重发：',
        '- 缺少 说明',
        '- 措施「记过」无法识别，可写：谈话提醒、批评教育、责令检查、通报批评、诫勉、组织处理、纪律处分',
        '- 日期：「9月31日」不是能识别的日期。可写 2015-09-30、9月30日、9.30、下周五 或 月底',
        '- 通知「也许」应写「是」或「否」',
        '- 没有「城关」这个单位。您是不是指「城关镇」？',
        `格式：\n${TEMPLATE}`,
      ].join('\n'),
    )
    expect(await say('wangjian', lines('措施：诫勉', '日期：9月3日', '说明：x', '通知：否'))).toBe(`未登记，请修改后重发：\n- 缺少 单位\n格式：\n${TEMPLATE}`)
    // Read well but not possible: refused plainly, every reason at once, no format.
    expect(await say('wangjian', lines(`督查：${otherFinding.id}`, '单位：城关镇', '对象：吴芳', '措施：诫勉', '日期：9月30日', '说明：x', '通知：否'))).toBe(
      `未登记，请修改后重发：\n- 日期 2015年9月30日 还没有到：请写作出决定的日期\n- 督查#${otherFinding.id} 是后港镇的，不是城关镇的\n- 对象「吴芳」不是城关镇的人员`,
    )
    expect(await say('wangjian', lines('督查：99', '对象：钱多多', '措施：纪律处分（移送纪委）', '日期：2015-06-30', '说明：x', '通知：否'))).toBe(
      '未登记，请修改后重发：\n- 日期 2015年6月30日 早于专项治理开始（2015年7月1日）\n- 没有督查#99（本专项治理的督查记录）\n- 对象「钱多多」不在花名册中',
    )
    expect(await say('wangjian', lines('单位：城关镇', '措施：诫勉', '日期：9月3日', `说明：${'很'.repeat(501)}`, '通知：否'))).toBe('未登记，请修改后重发：\n- 说明太长：501 字，上限 500 字')
    expect((await records()).length).toBe(before.records)
    expect(await ds.getRepository(OutboxMessageSchema).count({ where: { subjectKind: 'accountability' } })).toBe(before.outbox)
  })

  it('列表 (all, or a unit’s) and 详情, as 组织部 reads them', async () => {
    const all = await records()
    const [person, unit, headless, fromFinding] = all.map((r) => r.id)
    expect(await say('wangjian', '问责')).toBe(
      [
        `**问责记录 4 项**`,
        '谈话提醒 1，批评教育 1，通报批评 1，诫勉 1',
        `#${unit} 9月8日 后港镇 通报批评 · 已告知`,
        `#${person} 9月7日 城关镇 赵磊 诫勉 · 督查#${finding.id} · 已告知`,
        `#${fromFinding} 9月2日 后港镇 批评教育 · 督查#${otherFinding.id} · 未告知`,
        `#${headless} 9月1日 县信访局 谈话提醒 · 未告知`,
        '查看：问责 详情 编号',
      ].join('\n'),
    )
    expect(await say('wangjian', '问责 列表 城关镇')).toBe(`**城关镇问责记录 1 项**\n诫勉 1\n#${person} 9月7日 城关镇 赵磊 诫勉 · 督查#${finding.id} · 已告知\n查看：问责 详情 编号`)
    expect(await say('wangjian', '问责 列表 县委宣传部')).toBe('县委宣传部没有问责记录。')
    expect(await say('wangjian', '问责 列表 城关')).toBe('没有「城关」这个单位。您是不是指「城关镇」？')
    expect(await say('wangjian', `问责 详情 ${person}`)).toBe(
      [
        `**问责 #${person}**`,
        '单位：城关镇',
        '对象：赵磊',
        '措施：诫勉',
        '日期：9月7日',
        `关联督查：督查#${finding.id}，8月20日随机抽查：招商引资项目台账与实际不符，两个项目未按时申报`,
        `说明：${NOTE}`,
        '登记：王健，10:00',
        '告知：已告知（10:00）',
      ].join('\n'),
    )
    expect(await say('wangjian', `问责 详情 ${headless}`)).toBe(
      [`**问责 #${headless}**`, '单位：县信访局', '对象：单位', '措施：谈话提醒', '日期：9月1日', '关联督查：—', '说明：信访件转办推诿', '登记：王健，10:00', '告知：未告知'].join('\n'),
    )
    expect(await say('wangjian', '问责 详情 999')).toBe('没有编号为 #999 的问责记录。查看全部：问责 列表')
    expect(await say('wangjian', '问责 详情')).toBe('缺少问责编号。\n用法：问责 详情 编号\n示例：问责 详情 1')
  })

  it('every verb is refused to every other role, and nothing is written', async () => {
    const before = (await records()).length
    for (const userid of ['liuyang', 'zhangwei', 'lina', 'chenjing', 'zhaolei', 'xumin', 'sunli', 'yangfan']) {
      for (const text of ['问责', '问责 列表 城关镇', '问责 详情 1', lines('单位：城关镇', '措施：诫勉', '日期：9月3日', '说明：x', '通知：否')]) {
        expect(await say(userid, text)).toBe(DENIED)
      }
    }
    expect((await records()).length).toBe(before)
    // Help shows 问责 to 组织部 alone.
    expect(await say('wangjian', '帮助')).toContain('- `问责 登记|列表|详情` 问责记录')
    expect(await say('liuyang', '帮助')).not.toContain('问责')
  })

  it('nobody but 组织部 reads a decision: not in 详情, 督查 详情, 统计, 待办, nor in any message to anyone else', async () => {
    const measures = ['诫勉', '通报批评', '批评教育', '谈话提醒', '问责']
    const readers: [string, string][] = [
      ['zhaolei', `详情 ${fixture.items.overdue}`],
      ['lina', `详情 ${fixture.items.overdue}`],
      ['zhangwei', `详情 ${fixture.items.overdue}`],
      ['chenjing', `详情 ${fixture.items.overdue}`],
      ['liuyang', `详情 ${fixture.items.overdue}`],
      ['liuyang', `督查 详情 ${finding.id}`],
      ['liuyang', `督查 详情 ${otherFinding.id}`],
      ['liuyang', '督查 列表'],
      ['liuyang', '统计'],
      ['xumin', '统计'],
      ...['liuyang', 'zhangwei', 'lina', 'chenjing', 'zhaolei', 'sunli', 'wufang', 'xumin'].map((u): [string, string] => [u, '待办']),
    ]
    for (const [userid, text] of readers) {
      const answer = await say(userid, text)
      expect(answer, `${userid}: ${text}`).not.toBe('')
      if (text.startsWith('督查 详情')) expect(answer).toContain(`督查#${text.split(' ')[2]}`)
      for (const word of [...measures, NOTE]) expect(answer, `${userid}: ${text}`).not.toContain(word)
    }
    // The note went nowhere but into 组织部's own answers; the notices say the measure and the date only.
    const outbox = await ds.getRepository(OutboxMessageSchema).find()
    const withNote = outbox.filter((row) => row.payload.includes(NOTE.slice(0, 8)))
    expect(withNote.length).toBeGreaterThan(0)
    for (const row of withNote) expect(JSON.parse(row.recipients).touser).toEqual(['wangjian'])
  })

  it('the records are read in one read-model file, whose only readers are 问责 and the assessment export', () => {
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))
    const naming = (pattern: RegExp) => ['src', 'commands'].flatMap(files).filter((file) => pattern.test(readFileSync(file, 'utf8'))).sort()
    // The table: its entity, the writer, the one reader.
    expect(naming(/AccountabilitySchema/)).toEqual(['src/db/entities/accountability.ts', 'src/db/entities/index.ts', 'src/domain/inspections/accountability.ts', 'src/read-model/accountability.ts'])
    expect(naming(/read-model\/accountability\.js|from '\.\/accountability\.js'/).filter((f) => !f.startsWith('src/db/') && f !== 'commands/index.ts')).toEqual(['commands/accountability.ts', 'src/read-model/assessment.ts'])
  })
})
