import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { APP_MENU, menuCommand } from '../src/bot/app-menu.js'
import { describeCard } from '../src/wecom/describe-card.js'
import { WeComHttpError } from '../src/wecom/errors.js'
import { checkMenu, type AppMenu } from '../src/wecom/menu.js'
import { text, type CardMessage } from '../src/wecom/messages.js'
import type { TemplateCard } from '../src/wecom/template-card.js'
import { createWeComClient, type WeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { spawnService } from './helpers/service-process.js'
import { errcodeOf } from './helpers/wecom-errors.js'

const WECOM = { corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret' }
const HOUR = 3_600_000

const buttonCard = (taskId: string, extra: Partial<TemplateCard> = {}): TemplateCard => ({
  card_type: 'button_interaction',
  main_title: { title: '待办：#12 项目申报' },
  task_id: taskId,
  button_list: [
    { text: '更新进度', key: 'progress' },
    { text: '已整改', key: 'done' },
  ],
  ...extra,
})
const asMessage = (card: TemplateCard): CardMessage => ({ msgtype: 'template_card', template_card: card })
/** A card as a buggy caller might send it: the fake must refuse it as WeCom would. */
const raw = (card: Record<string, unknown>): CardMessage => asMessage(card as unknown as TemplateCard)


describe('template cards and the app menu through the client, against the fake WeCom server', () => {
  let fake: FakeWeCom
  let clock: number
  let client: WeComClient
  const send = (card: CardMessage, touser = ['lina']) => client.sendMessage({ touser }, card)

  beforeEach(async () => {
    clock = Date.parse('2015-08-31T01:05:00Z')
    fake = await startFakeWeCom({ secret: WECOM.secret, now: () => clock })
    client = createWeComClient({ baseUrl: fake.url, ...WECOM, now: () => clock, timeoutMs: 2000 })
  })
  afterEach(async () => {
    await fake.close()
  })

  it('a button card comes back with its response code; the fake records it by task id and as delivered', async () => {
    const card = buttonCard('c1task')
    const result = await send(asMessage(card), ['LiNa', 'zhaolei'])
    expect(result.responseCode).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(result.msgids).toEqual(['msgid-1'])
    expect([...fake.cards.keys()]).toEqual(['c1task'])
    expect(fake.cards.get('c1task')).toEqual({ card, touser: ['lina', 'zhaolei'], sentAt: clock })
    expect(fake.delivered.map((d) => d.msgtype)).toEqual(['template_card'])
    expect((await client.sendMessage({ touser: ['lina'] }, text('收到'))).responseCode).toBeNull()
    // A notice card has nothing to tap: no response code.
    const notice = await send(asMessage({ card_type: 'text_notice', main_title: { title: '通报' }, card_action: { type: 1, url: 'https://example.org/c/1' } }))
    expect(notice.responseCode).toBeNull()
  })

  it('refuses a task id used before with 42014, even the retry of a send whose answer was lost', async () => {
    await send(asMessage(buttonCard('c2task')))
    expect(await errcodeOf(send(asMessage(buttonCard('c2task', { main_title: { title: '另一张卡片' } })), ['zhaolei']))).toBe(42014)
    fake.inject({ kind: 'deliver-then-drop' }, 1, 'message/send')
    const lost = await send(asMessage(buttonCard('c3task'))).catch((e: unknown) => e)
    expect(lost).toBeInstanceOf(WeComHttpError)
    expect(await errcodeOf(send(asMessage(buttonCard('c3task'))))).toBe(42014)
    expect([...fake.cards.keys()]).toEqual(['c2task', 'c3task'])
    expect(fake.delivered.map((d) => (d.body.template_card as TemplateCard).task_id)).toEqual(['c2task', 'c3task'])
  })

  it('enforces WeCom’s limits on cards, with WeCom’s errcodes where it has them', async () => {
    const buttons = (n: number) => Array.from({ length: n }, (_, i) => ({ text: `按钮${i}`, key: `k${i}` }))
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ keyname: `键${i}`, value: `值${i}` }))
    const options = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `o${i}`, text: `选项${i}` }))
    const base = buttonCard('unused')
    const cases: [string, Record<string, unknown>, number][] = [
      ['card type', { ...base, task_id: 't01', card_type: 'fancy_card' }, 40058],
      ['no task id', { ...base, task_id: undefined }, 40058],
      ['task id with a space', { ...base, task_id: 'c 1' }, 40058],
      ['task id of 129 characters', { ...base, task_id: 'a'.repeat(129) }, 40058],
      ['no buttons', { ...base, task_id: 't02', button_list: [] }, 40058],
      ['7 buttons', { ...base, task_id: 't03', button_list: buttons(7) }, 40058],
      ['button text of 11 characters', { ...base, task_id: 't04', button_list: [{ text: '一二三四五六七八九十一', key: 'k' }] }, 42038],
      ['button key twice', { ...base, task_id: 't05', button_list: [{ text: '甲', key: 'k' }, { text: '乙', key: 'k' }] }, 42039],
      ['button key of 1,025 bytes', { ...base, task_id: 't06', button_list: [{ text: '甲', key: 'k'.repeat(1025) }] }, 42039],
      ['7 horizontal rows', { ...base, task_id: 't07', horizontal_content_list: rows(7) }, 42035],
      ['no options', { ...base, task_id: 't08', button_selection: { question_key: 'item', title: '选择事项', option_list: [] } }, 40058],
      ['11 options', { ...base, task_id: 't09', button_selection: { question_key: 'item', title: '选择事项', option_list: options(11) } }, 40058],
      ['a notice without card_action', { card_type: 'text_notice', main_title: { title: '通报' } }, 42045],
    ]
    const answers: [string, number][] = []
    for (const [name, card] of cases) answers.push([name, await errcodeOf(send(raw(card)))])
    expect(answers).toEqual(cases.map(([name, , errcode]) => [name, errcode]))
    // At the limits, every one is taken.
    const full = { ...base, task_id: 't10-_@', button_list: buttons(6), horizontal_content_list: rows(6), button_selection: { question_key: 'item', title: '选择事项', option_list: options(10) } }
    expect((await send(raw({ ...full, button_list: [...buttons(5), { text: '一二三四五六七八九十', key: 'k'.repeat(1024) }] }))).responseCode).not.toBeNull()
    expect(fake.delivered).toHaveLength(1)
    expect([...fake.cards.keys()]).toEqual(['t10-_@'])
  })

  it('updates a card once with the send’s response code, once with each tap’s, then answers 40130', async () => {
    const { responseCode } = await send(asMessage(buttonCard('c4task')), ['lina', 'zhaolei'])
    const done = buttonCard('c4task', { replace_text: '已整改' })
    await client.updateTemplateCard({ userids: ['lina', 'zhaolei'], responseCode: responseCode!, card: done })
    expect(await errcodeOf(client.updateTemplateCard({ userids: ['lina'], responseCode: responseCode!, card: done }))).toBe(40130)
    clock += HOUR
    const tap = fake.click('c4task', 'LiNa')
    expect(tap).not.toBe(responseCode)
    await client.updateTemplateCard({ userids: ['lina'], responseCode: tap, replaceName: '已处理' })
    expect(await errcodeOf(client.updateTemplateCard({ userids: ['lina'], responseCode: tap, replaceName: '已处理' }))).toBe(40130)
    expect(await errcodeOf(client.updateTemplateCard({ userids: ['lina'], responseCode: 'never-issued', replaceName: '已处理' }))).toBe(40130)
    expect(fake.cardUpdates).toEqual([
      {
        userids: ['lina', 'zhaolei'],
        responseCode,
        body: { userids: ['lina', 'zhaolei'], agentid: 1000002, response_code: responseCode, template_card: done },
        at: Date.parse('2015-08-31T01:05:00Z'),
      },
      { userids: ['lina'], responseCode: tap, body: { userids: ['lina'], agentid: 1000002, response_code: tap, button: { replace_name: '已处理' } }, at: Date.parse('2015-08-31T02:05:00Z') },
    ])
  })

  it('takes a code up to 72 hours old and refuses one older with 40130', async () => {
    await send(asMessage(buttonCard('c5task')))
    const early = fake.click('c5task', 'lina')
    const late = fake.click('c5task', 'lina')
    clock += 72 * HOUR
    await client.updateTemplateCard({ userids: ['lina'], responseCode: early, replaceName: '已处理' })
    clock += HOUR
    expect(await errcodeOf(client.updateTemplateCard({ userids: ['lina'], responseCode: late, replaceName: '已处理' }))).toBe(40130)
    expect(fake.cardUpdates.map((u) => u.responseCode)).toEqual([early])
  })

  it('checks an update’s card like a send’s: the task id left out or the card’s own, every limit; a refused update leaves its code unused', async () => {
    await send(asMessage(buttonCard('c6task')))
    const code = fake.click('c6task', 'lina')
    expect(await errcodeOf(client.updateTemplateCard({ userids: ['lina'], responseCode: code, card: buttonCard('c7task') }))).toBe(40058)
    expect(await errcodeOf(client.updateTemplateCard({ userids: ['lina'], responseCode: code, card: buttonCard('c6task', { button_list: [{ text: '一二三四五六七八九十一', key: 'k' }] }) }))).toBe(42038)
    await client.updateTemplateCard({ userids: ['lina'], responseCode: code, card: buttonCard('c6task', { task_id: undefined }) })
    expect(fake.cardUpdates).toHaveLength(1)
    await expect(client.updateTemplateCard({ userids: ['lina'], responseCode: code })).rejects.toThrow('updateTemplateCard: give either card or replaceName')
  })

  it('plays a tap only on a card that has buttons and went to that member', async () => {
    await send(asMessage(buttonCard('c8task')))
    expect(() => fake.click('c8task', 'zhaolei')).toThrow('fake WeCom: card c8task was not sent to zhaolei')
    expect(() => fake.click('nosuchtask', 'lina')).toThrow('fake WeCom: no card with task id nosuchtask')
    await send(asMessage({ card_type: 'text_notice', main_title: { title: '通报' }, card_action: { type: 1, url: 'https://example.org/c/1' }, task_id: 'c9notice' }))
    expect(() => fake.click('c9notice', 'lina')).toThrow('fake WeCom: card c9notice is a notice card, nothing to tap')
  })

  it('sets, reads and deletes the app menu; no menu reads as null', async () => {
    expect(await client.getMenu()).toBeNull()
    await client.createMenu(APP_MENU)
    expect(fake.menus.get('1000002')).toEqual(APP_MENU)
    expect(await client.getMenu()).toEqual(APP_MENU)
    await client.deleteMenu()
    expect(await client.getMenu()).toBeNull()
    expect(fake.requests.filter((r) => r.api.startsWith('menu/')).map((r) => `${r.method} ${r.api}?agentid=${r.query.agentid} ${r.outcome}`)).toEqual([
      'GET menu/get?agentid=1000002 46003',
      'POST menu/create?agentid=1000002 0',
      'GET menu/get?agentid=1000002 0',
      'GET menu/delete?agentid=1000002 0',
      'GET menu/get?agentid=1000002 46003',
    ])
    // menu/get may list an item without sub-items with an empty sub_button.
    fake.menus.set('1000002', { button: [{ type: 'click', name: '待办', key: 'menu:todo', sub_button: [] }] })
    expect(await client.getMenu()).toEqual({ button: [{ type: 'click', name: '待办', key: 'menu:todo' }] })
    // Each of our keys runs a chat command; another key (a menu set elsewhere) runs nothing.
    expect(['menu:my', 'menu:todo', 'menu:help', 'menu:stats', 'menu:other', 'toString'].map(menuCommand)).toEqual(['我的', '待办', '帮助', '统计', undefined, undefined])
  })

  it('refuses a menu WeCom would refuse, before sending it; the fake refuses it too', async () => {
    const click = (name: string, key = 'menu:x') => ({ name, type: 'click' as const, key })
    const cases: [AppMenu, string][] = [
      [{ button: [] }, 'app menu: 0 top-level items (1 to 3)'],
      [{ button: [click('一'), click('二'), click('三'), click('四')] }, 'app menu: 4 top-level items (1 to 3)'],
      [{ button: [click('六个汉字名字')] }, 'app menu: name "六个汉字名字" empty or over 16 bytes'],
      [{ button: [click('')] }, 'app menu: name "" empty or over 16 bytes'],
      [{ button: [{ name: '工具', sub_button: [] }] }, 'app menu: "工具" has 0 sub-items (1 to 5)'],
      [{ button: [{ name: '工具', sub_button: ['一', '二', '三', '四', '五', '六'].map((n) => click(n)) }] }, 'app menu: "工具" has 6 sub-items (1 to 5)'],
      [{ button: [{ name: '工具', sub_button: [click('十四个汉字的二级菜单名字太长了')] }] }, 'app menu: name "十四个汉字的二级菜单名字太长了" empty or over 40 bytes'],
      [{ button: [click('待办', 'k'.repeat(129))] }, 'app menu: "待办" key empty or over 128 bytes'],
      [{ button: [{ name: '看板', type: 'view', url: '' }] }, 'app menu: "看板" needs an http(s) url'],
    ]
    for (const [menu, message] of cases) {
      expect(() => checkMenu(menu)).toThrow(message)
      await expect(client.createMenu(menu)).rejects.toThrow(message)
    }
    expect(fake.requests.filter((r) => r.api.startsWith('menu/'))).toEqual([])
    // At the limits: 3 items, 5 sub-items, names of 16 and 40 bytes, a key of 128 bytes.
    const full: AppMenu = {
      button: [click('五个汉字名a'), { name: '看板', type: 'view', url: 'https://example.org/dashboard' }, { name: '工具', sub_button: [click('十三个汉字的二级菜单名字长a', 'k'.repeat(128)), ...['二', '三', '四', '五'].map((n) => click(n))] }],
    }
    await client.createMenu(full)
    expect(fake.menus.get('1000002')).toEqual(full)
    // The fake checks on its own: a menu posted past the client's check.
    const token = ((await (await fetch(`${fake.url}/cgi-bin/gettoken?corpid=${WECOM.corpId}&corpsecret=${WECOM.secret}`)).json()) as { access_token: string }).access_token
    const post = async (menu: unknown, agentid = '1000002') =>
      ((await (await fetch(`${fake.url}/cgi-bin/menu/create?access_token=${token}&agentid=${agentid}`, { method: 'POST', body: JSON.stringify(menu) })).json()) as { errcode: number }).errcode
    expect(await post({ button: [click('一'), click('二'), click('三'), click('四')] })).toBe(40058)
    expect(await post({ button: [{ name: '工具', sub_button: [click('十四个汉字的二级菜单名字太长了')] }] })).toBe(40058)
    expect(await post({ button: [{ name: '看板', type: 'view' }] })).toBe(40058)
    expect(await post({ button: [click('待办')] }, '1000003')).toBe(301002)
    expect(fake.menus.get('1000002')).toEqual(full)
  })

  it('describes a card legibly for the console: texts, rows, the options with their ids, the button keys, the task id', () => {
    const card: TemplateCard = {
      card_type: 'button_interaction',
      source: { desc: '专项治理督办' },
      main_title: { title: '待办：2 项逾期', desc: '2015年8月31日' },
      sub_title_text: '选择事项后更新进度',
      horizontal_content_list: [
        { keyname: '单位', value: '城关镇' },
        { keyname: '逾期', value: '2 项' },
      ],
      button_selection: {
        question_key: 'item',
        title: '选择事项',
        option_list: [
          { id: '12', text: '#12 项目申报' },
          { id: '15', text: '#15 审批超时' },
        ],
        selected_id: '12',
      },
      button_list: [
        { text: '更新进度', key: 'progress' },
        { text: '已整改', style: 1, key: 'done' },
      ],
      task_id: 'c1a2b3c4',
    }
    expect(describeCard(card)).toBe(
      [
        '〔专项治理督办〕',
        '待办：2 项逾期',
        '2015年8月31日',
        '选择事项后更新进度',
        '单位：城关镇',
        '逾期：2 项',
        '选择事项：① #12 项目申报(id=12)（已选） ② #15 审批超时(id=15)',
        '[更新进度](key=progress) [已整改](key=done)',
        '任务 c1a2b3c4',
      ].join('\n'),
    )
    expect(describeCard({ ...card, replace_text: '已处理', button_selection: undefined, source: undefined, horizontal_content_list: undefined, sub_title_text: undefined })).toBe(
      ['待办：2 项逾期', '2015年8月31日', '[已处理]（按钮已置灰）', '任务 c1a2b3c4'].join('\n'),
    )
    expect(describeCard({ card_type: 'text_notice', main_title: { title: '通报：8月督查情况' }, card_action: { type: 1, url: 'https://example.org/c/7' } })).toBe('通报：8月督查情况\n链接：https://example.org/c/7')
  })
})

// Each run starts a process (tsx): longer than vitest's default 5 s.
describe('npm run cli -- menu', { timeout: 30_000 }, () => {
  const CREDENTIALS = {
    WECOM_CORP_ID: WECOM.corpId,
    WECOM_AGENT_ID: String(WECOM.agentId),
    WECOM_SECRET: WECOM.secret,
    WECOM_TOKEN: 'QDG6eK',
    WECOM_AES_KEY: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  }
  const run = async (env: Record<string, string>, ...args: string[]) => {
    const child = spawnService(env, 'src/cli/main.ts', ['menu', ...args])
    return { code: await child.exited, output: child.output() }
  }
  const MENU_LINES = ['  我的事项（点击，key=menu:my）', '  待办（点击，key=menu:todo）', '  工具', '    帮助（点击，key=menu:help）', '    统计（点击，key=menu:stats）']

  it('in console mode prints the menu it would set and sends nothing', async () => {
    const sync = await run({}, 'sync')
    expect(sync).toEqual({ code: 0, output: ['控制台模式（未配置企业微信）：将设置的应用菜单如下，未发送到企业微信。', ...MENU_LINES, ''].join('\n') })
  })

  it('sets the menu through WeCom and shows what WeCom has', async () => {
    const fake = await startFakeWeCom({ secret: WECOM.secret })
    try {
      const env = { ...CREDENTIALS, WECOM_API_BASE: fake.url }
      expect(await run(env, 'show')).toEqual({ code: 0, output: '未设置菜单。设置：npm run cli -- menu sync\n' })
      expect(await run(env, 'sync')).toEqual({ code: 0, output: ['已设置应用菜单（应用 1000002）：', ...MENU_LINES, ''].join('\n') })
      expect(fake.menus.get('1000002')).toEqual(APP_MENU)
      expect(await run(env, 'show')).toEqual({ code: 0, output: ['应用 1000002 的菜单：', ...MENU_LINES, ''].join('\n') })
      fake.inject({ kind: 'errcode', errcode: 60020 }, 1, 'menu/create')
      const refused = await run(env, 'sync')
      expect(refused.code).toBe(1)
      expect(refused.output).toContain('企业微信设置菜单未成功：WeCom menu/create failed: errcode 60020 — 服务器 IP 不在企业可信 IP 列表')
      expect(refused.output).not.toMatch(/\n\s+at /)
    } finally {
      await fake.close()
    }
  })
})
