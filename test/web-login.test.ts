import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { oauthUrl, qrLoginUrl } from '../src/wecom/web-login.js'
import { createWeComClient, type WeComClient } from '../src/wecom/wecom-client.js'
import { startFakeWeCom, type FakeWeCom } from './fakes/fake-wecom-server.js'
import { errcodeOf } from './helpers/wecom-errors.js'

const APP = { corpId: 'wwfakecorp0000001', agentId: 1000002 }


/** Web login through WeCom (docs/wecom.md, Web login): the links, and the code exchanged once against the fake server. */
describe('web login through WeCom', () => {
  let fake: FakeWeCom
  let clock: number
  let client: WeComClient

  beforeEach(async () => {
    clock = Date.parse('2015-09-01T02:00:00Z')
    fake = await startFakeWeCom({ now: () => clock })
    client = createWeComClient({ baseUrl: fake.url, ...APP, secret: 'fake-secret', now: () => clock })
  })
  afterEach(async () => {
    await fake.close()
  })

  it('builds the in-app OAuth link (snsapi_base, with the agent id) and the desk QR link, the redirect encoded', () => {
    const back = 'https://dash.example.gov.cn:8443/dash/login/wecom?next=/dash/items/12'
    expect(oauthUrl(APP, back, 'a1B2c3')).toBe(
      'https://open.weixin.qq.com/connect/oauth2/authorize?appid=wwfakecorp0000001&redirect_uri=https%3A%2F%2Fdash.example.gov.cn%3A8443%2Fdash%2Flogin%2Fwecom%3Fnext%3D%2Fdash%2Fitems%2F12&response_type=code&scope=snsapi_base&state=a1B2c3&agentid=1000002#wechat_redirect',
    )
    expect(qrLoginUrl(APP, back, 'a1B2c3')).toBe(
      'https://login.work.weixin.qq.com/wwlogin/sso/login?login_type=CorpApp&appid=wwfakecorp0000001&agentid=1000002&redirect_uri=https%3A%2F%2Fdash.example.gov.cn%3A8443%2Fdash%2Flogin%2Fwecom%3Fnext%3D%2Fdash%2Fitems%2F12&state=a1B2c3',
    )
    // WeCom takes letters and digits only, at most 128.
    expect(() => oauthUrl(APP, back, 'a-b')).toThrow(/state/)
    expect(() => qrLoginUrl(APP, back, 'x'.repeat(129))).toThrow(/state/)
  })

  it('exchanges a code once for a member’s userid (lower-cased) or says it names someone outside the organization', async () => {
    expect(await client.loginIdentity(fake.issueLoginCode({ userid: 'LiNa' }))).toEqual({ kind: 'member', userid: 'lina' })
    expect(await client.loginIdentity(fake.issueLoginCode({ openid: 'oAbc123' }))).toEqual({ kind: 'outsider' })
    const code = fake.issueLoginCode({ userid: 'wangjian' })
    await client.loginIdentity(code)
    expect(await errcodeOf(client.loginIdentity(code))).toBe(42022)
    expect(await errcodeOf(client.loginIdentity('made-up'))).toBe(40029)
  })

  it('refuses a code older than 5 minutes', async () => {
    const code = fake.issueLoginCode({ userid: 'lina' })
    clock += 5 * 60_000 + 1
    expect(await errcodeOf(client.loginIdentity(code))).toBe(40029)
  })
})
