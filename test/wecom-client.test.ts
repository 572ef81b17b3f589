import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RateLimitedError, WeComApiError, WeComHttpError } from '../src/wecom/errors.js'
import { markdown, text } from '../src/wecom/messages.js'
import { createWeComClient, type WeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'

const SECRET = 'fake-secret'

describe('WeComClient against the fake WeCom server', () => {
  let fake: FakeWeCom
  let clock: number
  let client: WeComClient

  beforeEach(async () => {
    clock = Date.parse('2015-08-31T01:05:00Z')
    fake = await startFakeWeCom({ secret: SECRET, now: () => clock })
    client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: SECRET, now: () => clock, timeoutMs: 2000 })
  })
  afterEach(async () => {
    await fake.close()
  })

  it('fetches one token for a hundred concurrent sends', async () => {
    await Promise.all(Array.from({ length: 100 }, (_, i) => client.sendMessage({ touser: [`user${i}`] }, text(`提醒 ${i}`))))
    expect(fake.tokenRequests()).toBe(1)
    expect(fake.delivered).toHaveLength(100)
  })

  it('recovers from a token that expires mid-batch with one refresh', async () => {
    for (let i = 0; i < 5; i += 1) await client.sendMessage({ touser: [`a${i}`] }, text(`第${i}条`))
    fake.expireTokens()
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.sendMessage({ touser: [`b${i}`] }, text(`第${i}条`))))
    expect(fake.delivered).toHaveLength(25)
    expect(fake.tokenRequests()).toBe(2)
    expect(fake.requests.filter((r) => r.outcome === 42001).length).toBeGreaterThan(0)
  })

  it('refreshes once on 40014 and then gives up with a typed error', async () => {
    fake.inject({ kind: 'errcode', errcode: 40014 }, 2, 'message/send')
    const error = await client.sendMessage({ touser: ['zhangwei'] }, text('x')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WeComApiError)
    expect((error as WeComApiError).errcode).toBe(40014)
    expect(fake.tokenRequests()).toBe(2)
    expect(fake.requests.filter((r) => r.api === 'message/send')).toHaveLength(2)
  })

  it('reports every failed call once to its metrics: errcodes, token retries and answers that never came', async () => {
    const failures: string[] = []
    const counted = createWeComClient({
      baseUrl: fake.url,
      corpId: 'wwfakecorp0000001',
      agentId: 1000002,
      secret: SECRET,
      now: () => clock,
      timeoutMs: 2000,
      metrics: { wecomError: (api, errcode) => failures.push(`${api} ${errcode}`) },
    })
    await counted.sendMessage({ touser: ['zhangwei'] }, text('一'))
    expect(failures).toEqual([])
    fake.expireTokens()
    await counted.sendMessage({ touser: ['zhangwei'] }, text('二'))
    fake.inject({ kind: 'http', status: 502 }, 1, 'message/send')
    await expect(counted.sendMessage({ touser: ['zhangwei'] }, text('三'))).rejects.toBeInstanceOf(WeComHttpError)
    fake.inject({ kind: 'errcode', errcode: 45009 }, 1, 'message/send')
    await expect(counted.sendMessage({ touser: ['zhangwei'] }, text('四'))).rejects.toBeInstanceOf(WeComApiError)
    expect(failures).toEqual(['message/send 42001', 'message/send http_502', 'message/send 45009'])
  })

  it('sends 2,500 recipients in three calls of at most 1,000, none missing', async () => {
    const users = Array.from({ length: 2500 }, (_, i) => `member${i}`)
    const result = await client.sendMessage({ touser: users }, markdown('**阶段提醒**'))
    expect(fake.delivered).toHaveLength(3)
    expect(fake.delivered.map((d) => d.touser.length)).toEqual([1000, 1000, 500])
    expect(fake.delivered.flatMap((d) => d.touser).sort()).toEqual([...users].sort())
    expect(result.msgids).toHaveLength(3)
  })

  it('sends to departments and tags in batches of at most 100', async () => {
    const parties = Array.from({ length: 150 }, (_, i) => String(i + 1))
    await client.sendMessage({ toparty: parties, totag: ['7'] }, text('通报'))
    expect(fake.delivered.map((d) => [d.toparty.length, d.totag.length])).toEqual([
      [100, 1],
      [50, 0],
    ])
  })

  it('turns on the duplicate check with a 4-hour interval, and off when asked', async () => {
    await client.sendMessage({ touser: ['zhangwei'] }, text('逾期提醒'))
    await client.sendMessage({ touser: ['zhangwei'] }, text('逾期提醒'))
    await client.sendMessage({ touser: ['zhangwei'] }, text('已收到'), { duplicateCheck: false })
    await client.sendMessage({ touser: ['zhangwei'] }, text('已收到'), { duplicateCheck: false })
    expect(fake.delivered[0]!.body).toMatchObject({ enable_duplicate_check: 1, duplicate_check_interval: 14400 })
    expect(fake.delivered.map((d) => d.suppressed)).toEqual([false, true, false, false])
  })

  it('reports invalid and unlicensed recipients without failing the others', async () => {
    fake.invalidUsers.add('left-the-county')
    fake.unlicensedUsers.add('no-licence')
    const result = await client.sendMessage({ touser: ['zhangwei', 'left-the-county', 'no-licence'] }, text('提醒'))
    expect(result.invalidUsers).toEqual(['left-the-county'])
    expect(result.unlicensedUsers).toEqual(['no-licence'])
    expect(fake.delivered[0]!.touser).toEqual(['zhangwei'])
  })

  it('reports every recipient invalid (WeCom 81013) as a result listing them, not as an error', async () => {
    fake.invalidUsers.add('ghost')
    const result = await client.sendMessage({ touser: ['ghost'] }, text('提醒'))
    expect(result).toMatchObject({ msgids: [], invalidUsers: ['ghost'] })
    expect(fake.requests.filter((r) => r.api === 'message/send').map((r) => r.outcome)).toEqual([81013])
  })

  it.each([
    [{ kind: 'errcode' as const, errcode: -1 }, WeComApiError, true],
    [{ kind: 'errcode' as const, errcode: 45009 }, WeComApiError, true],
    [{ kind: 'errcode' as const, errcode: 40058 }, WeComApiError, false],
    [{ kind: 'errcode' as const, errcode: 60020 }, WeComApiError, false],
    [{ kind: 'http' as const, status: 502 }, WeComHttpError, true],
    [{ kind: 'drop' as const }, WeComHttpError, true],
  ])('classifies %o', async (fault, type, retryable) => {
    fake.inject(fault, 1, 'message/send')
    const error = await client.sendMessage({ touser: ['zhangwei'] }, text('提醒')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(type)
    expect((error as { retryable: boolean }).retryable).toBe(retryable)
  })

  it('gives a hint for known codes and never quotes the secret or the token', async () => {
    fake.inject({ kind: 'errcode', errcode: 60020, errmsg: 'not allow to access from your ip, hint: [1441], from ip: 127.0.0.1' }, 1, 'message/send')
    const error = (await client.sendMessage({ touser: ['zhangwei'] }, text('x')).catch((e: unknown) => e)) as WeComApiError
    expect(error.hint).toContain('企业可信IP')
    expect(error.message).toContain('60020')
    const token = fake.requests.find((r) => r.api === 'message/send')!.query.access_token!
    expect(error.message).not.toContain(token)
    expect(error.message).not.toContain(SECRET)
  })

  it('times out a hanging call as a retryable error', async () => {
    const slow = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: SECRET, timeoutMs: 200 })
    fake.inject({ kind: 'latency', ms: 1000 }, 1, 'message/send')
    const error = await slow.sendMessage({ touser: ['zhangwei'] }, text('x')).catch((e: unknown) => e)
    expect(error).toMatchObject({ kind: 'timeout', retryable: true })
  })

  it('delays the 31st message a minute to the same member instead of letting WeCom drop it', async () => {
    for (let i = 0; i < 30; i += 1) {
      await client.sendMessage({ touser: ['zhangwei'] }, text(`第${i}条`))
      clock += 1000
    }
    const error = await client.sendMessage({ touser: ['zhangwei', 'lina'] }, text('第31条')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RateLimitedError)
    expect((error as RateLimitedError).limited).toEqual(['zhangwei'])
    expect((error as RateLimitedError).retryAt.getTime()).toBe(Date.parse('2015-08-31T01:05:00Z') + 60_001)
    clock = (error as RateLimitedError).retryAt.getTime()
    await client.sendMessage({ touser: ['zhangwei', 'lina'] }, text('第31条'))
    expect(fake.delivered).toHaveLength(31)
  })

  it('uploads a file and sends it', async () => {
    const workbook = new Uint8Array(Buffer.from('PK\u0003\u0004 workbook bytes'))
    const mediaId = await client.uploadMedia('file', '2015年8月专项治理月报.xlsx', workbook)
    expect(fake.uploads).toEqual([{ type: 'file', filename: '2015年8月专项治理月报.xlsx', size: workbook.length, mediaId, data: Buffer.from(workbook) }])
    await client.sendMessage({ touser: ['wangjian'] }, { msgtype: 'file', file: { media_id: mediaId } })
    expect(fake.delivered[0]!.body).toMatchObject({ msgtype: 'file', file: { media_id: mediaId } })
  })

  it('creates an app group chat and sends to it', async () => {
    const chatid = await client.createAppChat({ name: '专项治理联席会议', userlist: ['wangjian', 'xumin'] })
    await client.sendAppChat(chatid, markdown('**会议通知**'))
    expect(fake.appchatMessages).toEqual([{ chatid, body: { chatid, msgtype: 'markdown', markdown: { content: '**会议通知**' } } }])
    await expect(client.sendAppChat('not-ours', text('x'))).rejects.toMatchObject({ errcode: 86008 })
  })

  it('holds a group robot to 20 messages a minute', async () => {
    for (let i = 0; i < 20; i += 1) await client.sendRobot('robot-key-1', { msgtype: 'text', text: { content: `通报${i}` } })
    await expect(client.sendRobot('robot-key-1', { msgtype: 'text', text: { content: '第21条' } })).rejects.toBeInstanceOf(RateLimitedError)
    expect(fake.robotMessages).toHaveLength(20)
    clock += 60_001
    await client.sendRobot('robot-key-1', { msgtype: 'text', text: { content: '第21条' } })
    expect(fake.robotMessages).toHaveLength(21)
  })
})
