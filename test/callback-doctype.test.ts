import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCommandRegistry } from '../src/bot/command-registry.js'
import { defineCommand } from '../src/bot/define-command.js'
import { InboundMessageSchema } from '../src/db/entities/index.js'
import { computeSignature } from '../src/wecom/callback/callback-crypto.js'
import { cdata, parseWeComXml, xmlText, XmlRejectedError } from '../src/wecom/callback/parse-xml.js'
import { seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'
import { startCallbackRig } from './helpers/callback-rig.js'
import { newMsgId, openPassiveReply, post, SECRETS, sign, textXml, type SignedRequest } from './helpers/wecom-callback-client.js'

/**
 * The DOCTYPE/ENTITY guard applies to the markup of both layers (the envelope and the decrypted
 * message), never to a person's text inside CDATA: pasted HTML is a message like any other.
 */

const PASTED = '进度 1 50% <!DOCTYPE html><html><body>已整改</body></html>\n<!ENTITY x "y"> <!-- 备注 --> ]]> 完'

const seconds = () => String(Math.floor(Date.now() / 1000))
/** The decrypted message, written by hand so that its markup can be anything. */
const message = (content: string) =>
  `<xml><ToUserName><![CDATA[${SECRETS.corpId}]]></ToUserName><FromUserName><![CDATA[zhangwei]]></FromUserName><CreateTime>${seconds()}</CreateTime>` +
  `<MsgType><![CDATA[text]]></MsgType><Content>${content}</Content><MsgId>${newMsgId()}</MsgId><AgentID>1000002</AgentID></xml>`
/** A signed request whose envelope is `wrap(ciphertext)`: the signature is right, the markup is the test. */
function envelope(wrap: (ciphertext: string) => string): SignedRequest {
  const genuine = sign(textXml('zhangwei', '进度 1 50%'))
  const ciphertext = /<Encrypt><!\[CDATA\[(.*?)\]\]><\/Encrypt>/.exec(genuine.body)![1]!
  return { query: { ...genuine.query, msg_signature: computeSignature(SECRETS.token, genuine.query.timestamp!, genuine.query.nonce!, ciphertext) }, body: wrap(ciphertext) }
}

describe(`the callback's DOCTYPE/entity guard on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let rig: Awaited<ReturnType<typeof startCallbackRig>>
  let url: string
  const received: string[] = []

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    await seedRoster(ds, '城关镇', [{ userid: 'zhangwei', name: '张伟', roles: ['unit_head'] }])
    const progress = defineCommand({
      name: '进度',
      aliases: [],
      summary: '测试用',
      usage: '进度 编号 百分比 说明',
      example: '进度 1 50% 已完成一半',
      roles: 'everyone',
      parse: (args) => args.rest(0),
      async run(context, rest) {
        received.push(rest)
        context.reply('已收到')
      },
    })
    rig = await startCallbackRig(ds, { registry: createCommandRegistry([progress]) })
    url = rig.url
  })
  afterAll(async () => {
    await rig?.close()
    await db?.close()
  })

  const inboundCount = () => ds.getRepository(InboundMessageSchema).count()

  it('accepts pasted HTML with <!DOCTYPE and <!ENTITY inside CDATA: 200, stored and dispatched with the exact text', async () => {
    const response = await post(url, sign(textXml('zhangwei', PASTED)))
    expect(response.status).toBe(200)
    expect(openPassiveReply(await response.text()).content).toBe('已收到')
    const row = await ds.getRepository(InboundMessageSchema).findOneByOrFail({ content: PASTED })
    expect(row).toMatchObject({ status: 'processed', fromUser: 'zhangwei' })
    expect(received.at(-1)).toBe(PASTED.slice('进度 '.length))
  })

  it('accepts the same text escaped outside CDATA (WeCom sends both forms)', async () => {
    const text = '进度 1 60% <!DOCTYPE html> & <!ENTITY y "z">'
    const response = await post(url, sign(textXml('zhangwei', text, { cdata: false }).replace(text, text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;'))))
    expect(response.status).toBe(200)
    expect(await ds.getRepository(InboundMessageSchema).countBy({ content: text })).toBe(1)
    expect(received.at(-1)).toBe(text.slice('进度 '.length))
  })

  const refused: [string, () => SignedRequest][] = [
    ['envelope: a DOCTYPE before <xml>', () => envelope((c) => `<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt><![CDATA[${c}]]></Encrypt></xml>`)],
    ['envelope: an ENTITY declaration inside <xml>', () => envelope((c) => `<xml><!ENTITY e "x"><Encrypt><![CDATA[${c}]]></Encrypt></xml>`)],
    ['envelope: a DOCTYPE after a CDATA section closed early', () => envelope((c) => `<xml><Encrypt><![CDATA[${c}]]><!DOCTYPE x [<!ENTITY a "aaaa">]><![CDATA[]]></Encrypt></xml>`)],
    ['message: a DOCTYPE before <xml>', () => sign(`<!DOCTYPE xml SYSTEM "file:///etc/passwd">${message('<![CDATA[进度 1 50%]]>')}`)],
    ['message: an ENTITY declaration in the structure', () => sign(message('<![CDATA[进度 1 50%]]>').replace('<MsgType>', '<!ENTITY lol "lol"><MsgType>'))],
    ['message: a raw "]]>" that ends the CDATA and smuggles a DOCTYPE into the markup', () => sign(message('<![CDATA[进度 1 50% ]]><!DOCTYPE x [<!ENTITY e "x">]><![CDATA[ 完]]>'))],
    ['message: a CDATA opener inside a processing instruction', () => sign(`<?pi <![CDATA[ ?><!DOCTYPE x [<!ENTITY e "x">]>${message('<![CDATA[进度 1 50% ]]>')}`)],
    ['message: a CDATA opener inside an attribute value', () => sign(message('<![CDATA[进度 1 50%]]>').replace('<Content>', '<Content a="<![CDATA["><!DOCTYPE x>'))],
    ['message: a lower-case doctype', () => sign(message('<![CDATA[进度 1 50%]]>').replace('<xml>', '<!doctype xml><xml>'))],
    ['message: an unclosed CDATA section', () => sign(message('<![CDATA[进度 1 50% <!DOCTYPE html>'))],
  ]

  it.each(refused)('refuses %s with 400, storing nothing', async (_name, build) => {
    const before = await inboundCount()
    const dispatched = received.length
    const response = await post(url, build())
    expect(response.status).toBe(400)
    expect(await inboundCount()).toBe(before)
    expect(received.length).toBe(dispatched)
  })
})

describe('parseWeComXml', () => {
  const content = (xml: string) => xmlText(parseWeComXml(xml), 'Content')

  it('keeps any text inside CDATA, "]]>" included when the sender splits it', () => {
    expect(content(`<xml><Content>${cdata(PASTED)}</Content></xml>`)).toBe(PASTED)
    expect(content('<xml><!-- <!DOCTYPE x> --><Content>c</Content></xml>')).toBe('c')
    expect(content('<?xml version="1.0" encoding="UTF-8"?><xml><Content>d</Content></xml>')).toBe('d')
  })

  it.each([
    ['a DOCTYPE', '<!DOCTYPE x [<!ENTITY e "x">]><xml><Content>&e;</Content></xml>'],
    ['an ENTITY inside the root', '<xml><!ENTITY e "x"><Content>a</Content></xml>'],
    ['ELEMENT and ATTLIST declarations', '<xml><!ELEMENT a ANY><!ATTLIST a b CDATA "c"><Content>a</Content></xml>'],
    ['a DOCTYPE after a CDATA ended by a raw "]]>"', '<xml><Content><![CDATA[a]]><!DOCTYPE x><![CDATA[b]]></Content></xml>'],
    ['a CDATA opener hidden in a processing instruction', '<?pi <![CDATA[ ?><!DOCTYPE x><xml><Content>]]></Content></xml>'],
    ['a CDATA opener hidden in an attribute value', '<xml a="<![CDATA["><!DOCTYPE x><Content>]]></Content></xml>'],
    ['"<![" that is not CDATA', '<xml><Content><![INCLUDE[<!DOCTYPE x>]]></Content></xml>'],
    ['an unclosed CDATA section', '<xml><Content><![CDATA[<!DOCTYPE html></Content></xml>'],
    ['an unclosed comment', '<xml><!-- <Content>a</Content></xml>'],
  ])('refuses %s', (_name, xml) => {
    expect(() => parseWeComXml(xml)).toThrow(XmlRejectedError)
  })
})
