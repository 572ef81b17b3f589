import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { CircularSchema, OutboxMessageSchema } from '../src/db/entities/index.js'
import { consoleDashboard, csrfOf, devSignIn, type Browser } from './helpers/dashboard.js'
import { chatAs, seedCampaignPeople } from './helpers/ledger-fixture.js'
import { readerText } from './helpers/outbox-text.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/** Monday 2015-09-07 10:00, Beijing. */
const NOW = new Date('2015-09-07T10:00:00+08:00')

/** The text of the page's notice after an action (docs/dashboard.md, Actions), and whether it says it went wrong. */
function noticeOf(page: string): { text: string; bad: boolean } | null {
  const found = /<p class="(notice(?: bad)?)" role="status">([\s\S]*?)<\/p>/.exec(page)
  return found ? { text: found[2]!.replace(/&lt;/g, '<').replace(/&#34;/g, '"').replace(/&amp;/g, '&'), bad: found[1] === 'notice bad' } : null
}

/** A draft's title and text edited on its page (docs/dashboard.md, 通报 and Actions): 通报 修改's rules. */
describe(`editing a draft circular on the dashboard on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let dash: Awaited<ReturnType<typeof consoleDashboard>>
  let chat: ReturnType<typeof chatAs>
  let draft: number
  let sent: number
  let admin: Browser

  const circular = (id: number) => ds.getRepository(CircularSchema).findOneByOrFail({ id })
  const lastId = async () => (await ds.getRepository(CircularSchema).findOneOrFail({ where: {}, order: { id: 'DESC' } })).id
  /** Posts the edit form of circular `id` as `b`, with the CSRF token of its page (or of the circulars list). */
  const post = async (b: Browser, id: number, fields: Record<string, string>, from = `/dash/circulars/${id}`) => {
    const page = await b.go(from)
    return b.go(`/dash/circulars/${id}`, { form: { csrf: csrfOf(page.body), action: 'edit', ...fields } })
  }

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    // 组织部 王健; 城关镇 (张伟 head, 陈静 liaison) and 后港镇 (孙丽 head) take part.
    await seedCampaignPeople(ds, '2015-07-01')
    chat = chatAs(ds, NOW)
    await chat('wangjian', '通报 预览 全体 关于开展作风自查的通知\n各单位：\n\n请于9月15日前完成自查。')
    draft = await lastId()
    await chat('wangjian', '通报 发布 全体 关于国庆值班的通知\n请安排好值班。')
    sent = await lastId()
    dash = await consoleDashboard(ds, () => NOW)
    admin = await devSignIn(dash.base, 'wangjian')
  })
  afterAll(async () => {
    await dash?.close()
    await db?.close()
  })

  it('shows 组织部 a draft’s title and text in a form, and a sent circular none', async () => {
    const page = (await admin.go(`/dash/circulars/${draft}`)).body
    expect(page).toContain(`<form method="post" action="/dash/circulars/${draft}" class="decide">`)
    expect(page).toContain('<input type="hidden" name="action" value="edit"/>')
    expect(page).toContain('<input type="text" name="title" value="关于开展作风自查的通知" maxlength="100" required/>')
    expect(page).toContain('<textarea name="body" rows="20" maxlength="5000" required>\n各单位：\n\n请于9月15日前完成自查。</textarea>')
    expect((await admin.go(`/dash/circulars/${sent}`)).body).not.toContain('id="edit"')
  })

  it('saves the whole title and text through 通报 修改’s rules, says so once, and 通报 发送 sends what was saved', async () => {
    const saved = await post(admin, draft, { title: '关于开展作风自查 & 整改的通知', body: '各单位：\r\n\r\n请于9月18日前完成自查，\r\n并报送自查报告。\r\n' })
    expect(saved.status).toBe(303)
    expect(saved.location).toBe(`/dash/circulars/${draft}`)
    expect(await circular(draft)).toMatchObject({ title: '关于开展作风自查 & 整改的通知', body: '各单位：\n\n请于9月18日前完成自查，\n并报送自查报告。', status: 'draft' })
    const page = (await admin.go(`/dash/circulars/${draft}`)).body
    expect(noticeOf(page)).toEqual({ text: `已保存通报 #${draft} 的修改。`, bad: false })
    expect(page).toContain('<input type="text" name="title" value="关于开展作风自查 &amp; 整改的通知" maxlength="100" required/>')
    expect(noticeOf((await admin.go(`/dash/circulars/${draft}`)).body)).toBeNull()
    // Chat sees the same draft, by paragraph.
    expect((await chat('wangjian', `通报 修改 ${draft} 段 2\n请于9月18日前完成自查。`)).text.split('\n')[0]).toBe(`已修改通报 #${draft} 的第 2 段。`)
    expect((await circular(draft)).body).toBe('各单位：\n\n请于9月18日前完成自查。')
  })

  it('refuses, in 通报 修改’s words, an empty or too long text and a sent circular, and changes nothing', async () => {
    const before = await circular(draft)
    const refused = async (id: number, fields: Record<string, string>, text: string) => {
      expect((await post(admin, id, fields)).status).toBe(303)
      expect(noticeOf((await admin.go(`/dash/circulars/${id}`)).body)).toEqual({ text, bad: true })
    }
    await refused(draft, { title: '关于开展作风自查的通知', body: ' \r\n ' }, '缺少正文：通报正文不能为空。')
    await refused(draft, { title: '  ', body: '正文' }, '缺少新标题：「标题」后面写新的标题。')
    await refused(draft, { title: '关于开展作风自查的通知', body: '很'.repeat(5001) }, '通报正文太长：5,001 字，上限 5,000 字。请精简后重发，未保存任何内容；篇幅较长的材料请线下报送。')
    expect(await circular(draft)).toEqual(before)
    const unsent = await circular(sent)
    await refused(sent, { title: '改', body: '改' }, `通报 #${sent} 已于 10:00 发出，只有草稿可以修改；如需更正，请另发通报。`)
    expect(await circular(sent)).toEqual(unsent)
  })

  it('refuses anyone but 组织部, a form without the session’s token, a form over the limit and an unknown circular', async () => {
    const before = await circular(draft)
    const head = await devSignIn(dash.base, 'zhangwei')
    const denied = await post(head, draft, { title: '改', body: '改' }, '/dash/circulars')
    expect(denied.status).toBe(403)
    expect(denied.body).toContain('「通报 修改」只有组织部（干部监督科）可以使用。')
    expect((await admin.go(`/dash/circulars/${draft}`, { form: { csrf: 'forged', action: 'edit', title: '改', body: '改' } })).status).toBe(403)
    expect((await admin.go(`/dash/circulars/${draft}`, { form: { action: 'edit', title: '改', body: '改' } })).status).toBe(403)
    const huge = await post(admin, draft, { title: '改', body: '很'.repeat(8000) })
    expect(huge.status).toBe(413)
    expect(huge.body).toContain('通报标题不超过 100 字，正文不超过 5,000 字，请删减后再提交。')
    expect((await post(admin, 99999, { title: '改', body: '改' }, '/dash/circulars')).status).toBe(404)
    expect((await post(admin, draft, { action: 'drop' })).status).toBe(400)
    expect(await circular(draft)).toEqual(before)
  })

  it('publishes the edited draft with 通报 发送', async () => {
    expect(await circular(draft)).toMatchObject({ title: '关于开展作风自查 & 整改的通知', body: '各单位：\n\n请于9月18日前完成自查。' })
    // Messages show the title's "&" full-width, as every typed text (inertText).
    expect((await chat('wangjian', `通报 发送 ${draft}`)).text.split('\n')[0]).toBe(`已发布通报 #${draft}《关于开展作风自查 ＆ 整改的通知》，发给 2 个单位 3 人。`)
    const copies = await ds.getRepository(OutboxMessageSchema).find({ where: { subjectKind: 'circular', subjectId: draft } })
    expect(copies.map((c) => readerText(c.payload))).toEqual(Array(3).fill(`**【通报】关于开展作风自查 ＆ 整改的通知**\n各单位：\n\n请于9月18日前完成自查。\n——县委组织部\n> 阅后请回复「收到 ${draft}」`))
    expect((await admin.go(`/dash/circulars/${draft}`)).body).not.toContain('id="edit"')
  })
})
