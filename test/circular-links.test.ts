import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { CircularSchema } from '../src/db/entities/index.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { seedCircularAudience } from './helpers/circular-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** 2015-09-07 10:00 in Beijing, a Monday. */
const NOW = new Date('2015-09-07T10:00:00+08:00')
const TITLE = '关于城关镇招商引资不作为问题的通报'

/** A typical-case circular shows the cases it links, and each linked item's 详情 shows the circular: the link both ways. */
describe(`typical-case links shown both ways, through the callback, on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  let fixture: Awaited<ReturnType<typeof seedCircularAudience>>

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedCircularAudience(ds)
    rig = await startCallbackRig(ds, { now: NOW })
  })
  afterAll(async () => {
    await rig?.close()
    await db?.close()
  })

  const say = async (from: string, text: string) => (await rig.say(from, text)).answer
  const detailLines = async (from: string, id: number) => (await say(from, `详情 ${id}`)).split('\n')

  it('the preview names the linked item and inspection in words; nothing is marked yet', async () => {
    const { overdue } = fixture.items
    const answer = await say('wangjian', `通报 预览 典型 镇 ${TITLE}\n经查，#${overdue} 长期未整改（督查#${fixture.inspection}）。`)
    const draft = await ds.getRepository(CircularSchema).findOneOrFail({ where: {}, order: { id: 'DESC' } })
    expect(answer.split('\n').slice(0, 5)).toEqual([
      `**预览：典型案例通报 #${draft.id}（草稿，尚未发送）**`,
      '受众：各镇，4 人（2 个单位：城关镇、后港镇）',
      `关联台账：#${overdue} 城关镇 招商引资项目跑办不积极，两个竞…`,
      `关联督查：督查#${fixture.inspection} 城关镇 便民服务大厅工作日上午无人值守`,
      '发送后以上事项标记为典型案例，其「详情」显示本通报。',
    ])
    expect(await detailLines('wangjian', overdue)).not.toContain(expect.stringContaining('典型案例通报'))
  })

  it('sending it answers with the cases, and 详情 of the item shows the circular', async () => {
    const { overdue } = fixture.items
    const draft = await ds.getRepository(CircularSchema).findOneOrFail({ where: {}, order: { id: 'DESC' } })
    expect(await say('wangjian', `通报 发送 ${draft.id}`)).toBe(
      [
        `已发布典型案例通报 #${draft.id}《${TITLE}》，发给 2 个单位 4 人。`,
        `关联台账：#${overdue} 城关镇 招商引资项目跑办不积极，两个竞…`,
        `关联督查：督查#${fixture.inspection} 城关镇 便民服务大厅工作日上午无人值守`,
        `收件人回复「收到 ${draft.id}」即确认；查看确认情况：通报 状态 ${draft.id}；24 小时内可撤回：通报 撤回 ${draft.id}`,
      ].join('\n'),
    )
    const shown = await detailLines('wangjian', overdue)
    expect(shown.filter((l) => l.startsWith('典型案例通报'))).toEqual([`典型案例通报：#${draft.id}《${TITLE}》（9月7日）`])
    // Right after the status line; the responsible person reads it too.
    expect(shown[shown.indexOf(`典型案例通报：#${draft.id}《${TITLE}》（9月7日）`) - 1]).toMatch(/^状态：/)
    expect(await detailLines('zhaolei', overdue)).toContain(`典型案例通报：#${draft.id}《${TITLE}》（9月7日）`)
    // An item it does not name shows nothing.
    expect((await say('wangjian', `详情 ${fixture.items.soon}`)).includes('典型案例通报')).toBe(false)
    // 通报 状态 names the cases the same way.
    const status = (await say('wangjian', `通报 状态 ${draft.id}`)).split('\n')
    expect(status.slice(-2)).toEqual([`关联台账：#${overdue} 城关镇 招商引资项目跑办不积极，两个竞…`, `关联督查：督查#${fixture.inspection} 城关镇 便民服务大厅工作日上午无人值守`])
  })

  it('published at once, several items; a second circular is listed after the first, a recalled one says so', async () => {
    const { overdue, soon } = fixture.items
    const answer = await say('wangjian', `通报 典型 全体 关于两起不作为问题的通报\n#${soon}、#${overdue} 整改不力。`)
    const second = await ds.getRepository(CircularSchema).findOneOrFail({ where: {}, order: { id: 'DESC' } })
    expect(answer.split('\n').slice(0, 2)).toEqual([
      `已发布典型案例通报 #${second.id}《关于两起不作为问题的通报》，发给 3 个单位 6 人。`,
      `关联台账：#${overdue} 城关镇 招商引资项目跑办不积极，两个竞…；#${soon} 城关镇 便民服务大厅办事群众反映多头跑`,
    ])
    expect((await say('wangjian', `通报 撤回 ${second.id}`)).startsWith(`已撤回典型案例通报 #${second.id}`)).toBe(true)
    const first = second.id - 1
    expect(await detailLines('wangjian', overdue)).toContain(`典型案例通报：#${first}《${TITLE}》（9月7日）；#${second.id}《关于两起不作为问题的通报》（9月7日，已撤回）`)
    expect(await detailLines('chenjing', soon)).toContain(`典型案例通报：#${second.id}《关于两起不作为问题的通报》（9月7日，已撤回）`)
  })
})
