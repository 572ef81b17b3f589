import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { enqueue } from '../src/outbox/enqueue.js'
import { encrypt } from '@wecom/crypto'
import { computeSignature } from '../src/wecom/callback/callback-crypto.js'
import { markdown } from '../src/wecom/messages.js'
import { openPassiveReply, post, SECRETS, sign, textXml } from './helpers/wecom-callback-client.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { seedRoster } from './helpers/roster.js'
import { spawnService } from './helpers/service-process.js'
import { waitForOutboxStatus } from './helpers/wait-for-outbox.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const AES_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C'

describe(`the running service delivers the outbox on ${dialect}`, () => {
  let db: MigratedDatabase
  let fake: FakeWeCom

  beforeAll(async () => {
    db = await createMigratedDatabase()
    fake = await startFakeWeCom({ corpId: 'ww1436e0e65a779aee', secret: 'real-looking-secret', agentId: 1000002 })
    await seedRoster(db.dataSource, '城关镇', [{ userid: 'zhangwei', name: '张伟', roles: ['unit_head'] }])
  })
  afterAll(async () => {
    await fake?.close()
    await db?.close()
  })

  const put = (key: string, content: string) =>
    db.dataSource.transaction((m) => enqueue(m, { dedupeKey: key, subject: { kind: 'other', id: null }, to: { users: ['zhangwei'] }, message: markdown(content) }, new Date()))

  const waitForStatus = (key: string, status: string) => waitForOutboxStatus(db.dataSource, key, status)

  it('prints the message with the recipient’s name in console mode', async () => {
    await put('console-1', '**逾期提醒**\n#12 招商引资项目 已逾期 6 天')
    const service = spawnService({ DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', QUIET_HOURS: 'off', DEMO_DATA: 'off' })
    try {
      await service.waitFor(/控制台投递 \(console delivery\) #\d+ → 张伟\(zhangwei\) \[markdown\]\n逾期提醒\n#12 招商引资项目 已逾期 6 天/)
      await waitForStatus('console-1', 'sent')
    } finally {
      service.child.kill('SIGINT')
      expect(await service.exited).toBe(0)
    }
  })

  it('sends through WeCom when credentials are set, reaching the fake server by WECOM_API_BASE alone', async () => {
    await put('wecom-1', '**阶段提醒**\n自查整改阶段 8月31日截止')
    const service = spawnService({
      DATABASE_URL: db.url,
      PORT: '0',
      HOST: '127.0.0.1',
      QUIET_HOURS: 'off',
      WECOM_CORP_ID: 'ww1436e0e65a779aee',
      WECOM_AGENT_ID: '1000002',
      WECOM_SECRET: 'real-looking-secret',
      WECOM_TOKEN: 'QDG6eK',
      WECOM_AES_KEY: AES_KEY,
      WECOM_API_BASE: fake.url,
    })
    try {
      const [, port] = await service.waitFor(/health:\s+http:\/\/localhost:(\d+)\/healthz/)
      const callback = `http://127.0.0.1:${port}/wecom/callback`
      // The callback answers on the running service, signed and encrypted as WeCom does.
      const answer = await post(callback, sign(textXml('zhangwei', '帮主')))
      expect(openPassiveReply(await answer.text()).content).toContain('您是不是想用「帮助」')
      const echostr = encrypt(SECRETS.aesKey, '1616140317555161061', SECRETS.corpId)
      const timestamp = String(Math.floor(Date.now() / 1000))
      const verify = new URL(callback)
      verify.search = new URLSearchParams({ msg_signature: computeSignature(SECRETS.token, timestamp, 'n1', echostr), timestamp, nonce: 'n1', echostr }).toString()
      expect(await (await fetch(verify)).text()).toBe('1616140317555161061')
      const row = await waitForStatus('wecom-1', 'sent')
      expect(fake.delivered.map((d) => d.touser)).toEqual([['zhangwei']])
      expect(row.wecomMsgid).toBe(fake.delivered[0]!.msgid)
      expect(service.output()).not.toContain('real-looking-secret')
      const token = fake.requests.find((r) => r.api === 'message/send')!.query.access_token!
      expect(service.output()).not.toContain(token)
    } finally {
      service.child.kill('SIGTERM')
      expect(await service.exited).toBe(0)
    }
  })
})
