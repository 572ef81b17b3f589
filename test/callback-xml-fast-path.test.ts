import { describe, expect, it } from 'vitest'
import { parseHardened, parseWeComXml, readFlatXml, xmlText, xmlTexts, XmlRejectedError, type XmlFields } from '../src/wecom/callback/parse-xml.js'
import { textXml } from './helpers/wecom-callback-client.js'

/** A small seeded generator, so that a failure can be replayed. */
function random(seed: number) {
  let state = seed
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31
    return state / 2 ** 31
  }
  return { int: (n: number) => Math.floor(next() * n), pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]! }
}

const NAMES = ['ToUserName', 'FromUserName', 'CreateTime', 'MsgType', 'Content', 'MsgId', 'AgentID', 'Encrypt', 'Event', 'EventKey', 'Unknown', 'constructor', '__proto__', 'xml']
const PIECES = ['a', '张伟', '进度 12 60%', ' ', '\n', '\r\n', '\t', '\u3000', '\u00a0', '<', '>', '&', '&amp;', '&#60;', ']', ']]', ']]>', '<![CDATA[', '<!DOCTYPE x>', '<!-- c -->', '"', "'", '😀', '0', '\u0000', '/']
const GAPS = ['', '', '', '\n', ' ', '\r\n', '\t', '\u3000', 'x', '<!-- c -->']

/** Half the documents as WeCom writes them (known names, ordinary text, CDATA), half anything. */
const BENIGN_NAMES = NAMES.slice(0, 10)
const BENIGN_PIECES = ['a', '张伟', '进度 12 60%', ' ', '\n', '<', '>', '&', ']', ']]', '😀', '0', '/']

function value(r: ReturnType<typeof random>, benign: boolean): string {
  return Array.from({ length: r.int(5) }, () => r.pick(benign ? BENIGN_PIECES : PIECES)).join('')
}

function field(r: ReturnType<typeof random>, benign: boolean): string {
  const name = r.pick(benign ? BENIGN_NAMES : NAMES)
  const text = value(r, benign)
  if (benign) return r.int(3) === 0 ? `<${name}>${text.trim().replace(/[<&>]/g, '')}</${name}>` : `<${name}><![CDATA[${text}]]></${name}>`
  switch (r.int(6)) {
    case 0:
      return `<${name}>${text}</${name}>`
    case 1:
      return `<${name}/>`
    case 2:
      return `<${name}><![CDATA[${text}]]>${r.pick(['', ' ', 'x'])}</${name}>`
    default:
      return `<${name}><![CDATA[${text}]]></${name}>`
  }
}

function document(r: ReturnType<typeof random>): string {
  const benign = r.int(2) === 0
  if (benign) return `<xml>${Array.from({ length: 1 + r.int(8) }, () => `${r.pick(['', '\n', ' '])}${field(r, true)}`).join('')}${r.pick(['', '\n'])}</xml>`
  const fields = Array.from({ length: r.int(6) }, () => `${r.pick(GAPS)}${field(r, false)}`).join('')
  return `${r.pick(['', '', '', ' ', '\n', '<?xml version="1.0"?>'])}${r.pick(['<xml>', '<xml>', '<xml a="1">', '<XML>'])}${fields}${r.pick(GAPS)}${r.pick(['</xml>', '</xml>', '</xml>\n', ''])}${r.pick(['', '', ' ', 'x'])}`
}

/** What the callback reads of a document: each field's first text and all its texts, or the refusal. */
function reading(parse: (xml: string) => XmlFields, xml: string): unknown {
  let fields: XmlFields
  try {
    fields = parse(xml)
  } catch (error) {
    return `refused: ${(error as Error).name}`
  }
  return NAMES.map((name) => [name, xmlText(fields, name), xmlTexts(fields, name)])
}

describe('the XML fast path (docs/callback-speed.md)', () => {
  it('reads what WeCom sends itself, without the parser', () => {
    const message = textXml('zhangwei', '进度 12 60% <b>&amp; ]] 完成', { msgId: '4561255354251345929' })
    expect(readFlatXml(message)).toBeDefined()
    expect(xmlText(parseWeComXml(message), 'Content')).toBe('进度 12 60% <b>&amp; ]] 完成')
    // A "]]>" the sender split in two CDATA sections is the parser's to join.
    const split = textXml('zhangwei', 'a ]]> b', { msgId: '4561255354251345930' })
    expect(readFlatXml(split)).toBeUndefined()
    expect(xmlText(parseWeComXml(split), 'Content')).toBe('a ]]> b')
    const envelope = `<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<Encrypt><![CDATA[abc+/=]]></Encrypt>\n<AgentID><![CDATA[218]]></AgentID>\n</xml>`
    expect(readFlatXml(envelope)).toBeDefined()
    expect(xmlText(parseWeComXml(envelope), 'Encrypt')).toBe('abc+/=')
  })

  it.each([
    ['a DOCTYPE', '<!DOCTYPE x [<!ENTITY e "x">]><xml><Content>&e;</Content></xml>'],
    ['an entity', '<xml><Content>&e;</Content></xml>'],
    ['a comment', '<xml><!-- c --><Content>a</Content></xml>'],
    ['a raw "]]>" ending the CDATA early', '<xml><Content><![CDATA[a]]><!DOCTYPE x><![CDATA[b]]></Content></xml>'],
    ['text beside a CDATA section', '<xml><Content><![CDATA[a]]>b]]></Content></xml>'],
    ['an attribute', '<xml a="1"><Content>a</Content></xml>'],
    ['nesting', '<xml><SelectedItems><SelectedItem><QuestionKey>q</QuestionKey></SelectedItem></SelectedItems></xml>'],
    ['a field of another name', '<xml><__proto__>a</__proto__></xml>'],
    ['an empty root', '<xml></xml>'],
    ['anything after the root', '<xml><Content>a</Content></xml><!DOCTYPE x>'],
  ])('leaves %s to the hardened parser', (_name, xml) => {
    expect(readFlatXml(xml)).toBeUndefined()
  })

  it.each(['constructor', '__proto__'])('refuses a field named %s as malformed XML (400), as the parser refuses it', (name) => {
    expect(() => parseWeComXml(`<xml><${name}>a</${name}><Encrypt>x</Encrypt></xml>`)).toThrow(XmlRejectedError)
  })

  it('reads 20,000 generated documents exactly as the hardened parser does, hostile ones included', () => {
    const r = random(20261206)
    let fast = 0
    for (let index = 0; index < 20_000; index += 1) {
      const xml = document(r)
      if (readFlatXml(xml)) fast += 1
      expect(reading(parseWeComXml, xml), xml).toEqual(reading(parseHardened, xml))
    }
    // The comparison means something only if both paths were taken often.
    expect(fast).toBeGreaterThan(1000)
    expect(fast).toBeLessThan(19_000)
  })
})
