import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { commands } from '../commands/index.js'
import { APP_MENU, appMenu } from '../src/bot/app-menu.js'
import { createCommandRegistry } from '../src/bot/command-registry.js'
import { createDispatcher } from '../src/bot/dispatcher.js'
import { dashboardLinks } from '../src/domain/dashboard-links.js'
import { createLogger } from '../src/logger.js'
import { storedCards } from './helpers/cards.js'
import { addLedgerItem, seedLedger } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const NOW = new Date('2015-08-31T09:00:00+08:00')
const LINKS = dashboardLinks('https://dash.example.gov.cn/')!

/** Chat answers, cards and the menu link to the dashboard when it is on (docs/dashboard.md, Links), and not when it is off. */
describe(`links to the dashboard on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  const cards = storedCards(() => ds)

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
  })
  afterAll(async () => {
    await db?.close()
  })

  /** Chat through the real dispatcher, with or without the dashboard's links. */
  function chat(links: typeof LINKS | null) {
    const dispatcher = createDispatcher({ dataSource: ds, registry: createCommandRegistry(commands), now: () => NOW, senderCacheMs: 0, links })
    return async (from: string, content: string) => {
      const result = await dispatcher.dispatch({ kind: 'text', from, content, msgId: '1', createTime: '1', agentId: '1', dedupeKey: 'k' }, createLogger('silent'))
      const reply = result.reply!
      return reply.msgtype === 'markdown' ? reply.markdown.content : reply.msgtype === 'text' ? reply.text.content : JSON.stringify(reply)
    }
  }

  it('详情 ends with the item’s page; without the dashboard it does not', async () => {
    const id = fixture.items.overdue
    expect(await chat(LINKS)('wangjian', `详情 ${id}`)).toMatch(new RegExp(`\\n\\[在督办看板中查看\\]\\(https://dash\\.example\\.gov\\.cn/dash/items/${id}\\)$`))
    expect(await chat(null)('wangjian', `详情 ${id}`)).not.toContain('看板')
  })

  it('组织部’s cards to verify an item and to decide an extension open the item’s page when tapped outside their buttons', async () => {
    const item = await addLedgerItem(ds, fixture.campaign.id, fixture.chengguan, { leader: 'lina', person: 'zhaolei' })
    await chat(LINKS)('zhaolei', `完成 ${item.id} 已整改到位`)
    const verify = await cards.cardTo('wangjian', (_, card) => card.main_title.title === `待核实销号 #${item.id}`)
    expect(verify.card.card_action).toEqual({ type: 1, url: `https://dash.example.gov.cn/dash/items/${item.id}` })
    const other = await addLedgerItem(ds, fixture.campaign.id, fixture.chengguan, { leader: 'lina', person: 'zhaolei' })
    await chat(LINKS)('zhaolei', `延期 ${other.id} 9月30日 等待省厅批复`)
    const extension = await cards.cardTo('wangjian', (_, card) => card.main_title.title.startsWith('延期申请'))
    expect(extension.card.card_action).toEqual({ type: 1, url: `https://dash.example.gov.cn/dash/items/${other.id}` })
    // Without the dashboard: no link on the card.
    const third = await addLedgerItem(ds, fixture.campaign.id, fixture.chengguan, { leader: 'lina', person: 'zhaolei' })
    await chat(null)('zhaolei', `完成 ${third.id} 已整改到位`)
    expect((await cards.cardTo('wangjian', (_, card) => card.main_title.title === `待核实销号 #${third.id}`)).card.card_action).toBeUndefined()
  })

  it('the menu gets 督办看板 under 工具 with the dashboard on, opening its home', () => {
    expect(appMenu(null)).toEqual(APP_MENU)
    const menu = appMenu(LINKS)
    const tools = menu.button.find((b) => b.name === '工具')
    expect(tools && 'sub_button' in tools ? tools.sub_button.at(-1) : null).toEqual({ name: '督办看板', type: 'view', url: 'https://dash.example.gov.cn/dash' })
    expect(menu.button.slice(0, 2)).toEqual(APP_MENU.button.slice(0, 2))
  })
})
