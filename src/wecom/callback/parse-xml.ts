import { XMLParser, XMLValidator } from 'fast-xml-parser'

/** The XML is not something WeCom sends (not XML, a DOCTYPE or entity declaration, no <xml> root). */
export class XmlRejectedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'XmlRejectedError'
  }
}

const CDATA = '#cdata'

// Hardened: no DOCTYPE (refused before parsing by refuseDeclarations), no entity expansion, no
// attributes, values kept as strings (a 19-digit MsgId must not become a float), CDATA kept apart
// so that only text outside CDATA has its predefined entities decoded.
const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: CDATA,
  maxNestedTags: 16,
})

export type XmlFields = Readonly<Record<string, unknown>>

/**
 * Parses a WeCom XML document (the outer envelope or the decrypted message) into its <xml>
 * element's children. Refuses DOCTYPE and ENTITY declarations in the markup outright: WeCom
 * never sends them, and they are how entity-expansion bombs and external entities get in. Text
 * inside CDATA is a person's message and may say anything, "<!DOCTYPE html>" included.
 */
export function parseWeComXml(xml: string): XmlFields {
  return readFlatXml(xml) ?? parseHardened(xml)
}

/** The hardened parser alone (parseWeComXml without its fast path). */
export function parseHardened(xml: string): XmlFields {
  refuseDeclarations(xml)
  const valid = XMLValidator.validate(xml)
  if (valid !== true) throw new XmlRejectedError(`not well-formed XML: ${valid.err.msg}`)
  const root = parseValid(xml).xml
  if (typeof root !== 'object' || root === null) throw new XmlRejectedError('no <xml> root element')
  return root as XmlFields
}

/**
 * fast-xml-parser refuses some names itself (`__proto__`, `constructor`) with a plain Error: a
 * refusal of the document all the same (400, not 503: WeCom must not send it again).
 */
function parseValid(xml: string): Record<string, unknown> {
  try {
    return parser.parse(xml) as Record<string, unknown>
  } catch (error) {
    throw new XmlRejectedError(`not accepted: ${(error as Error).message}`)
  }
}

/** The fields WeCom's flat messages and envelopes carry (docs/wecom.md, Callback messages). */
const FLAT_NAMES = new Set(
  'ToUserName FromUserName CreateTime MsgType Content MsgId AgentID Encrypt Event EventKey MediaId PicUrl Format ThumbMediaId Location_X Location_Y Scale Label Title Description Url TaskId CardType ResponseCode'.split(' '),
)

/**
 * One field: XML whitespace, <Name>, then one CDATA section (its text holds no "]]>", which would
 * end it) or plain text without markup, entities or surrounding spaces, then </Name>. Neither
 * holds a carriage return: the parser turns line ends into "\n".
 */
const FLAT_FIELD = /[ \t\r\n]*<([A-Za-z_]+)>(?:<!\[CDATA\[((?:[^\]\r]|\](?!\]>))*)\]\]>|([^<>&\s](?:[^<>&\r]*[^<>&\s])?|))<\/\1>/y

/**
 * The fast path (docs/callback-speed.md): what WeCom sends is a flat <xml> of known fields, each
 * plain text or one CDATA section. Such a document is read here, as the parser would read it
 * ({ '#cdata': text } or the text, an array for a repeated field); anything else — a
 * declaration, a comment, an entity, an attribute, nesting, a field we do not know, text beside
 * a CDATA section, an empty root — is undefined and goes through the hardened parser below.
 */
export function readFlatXml(xml: string): XmlFields | undefined {
  if (!xml.startsWith('<xml>')) return undefined
  const fields: Record<string, unknown> = {}
  let count = 0
  let at = 5
  FLAT_FIELD.lastIndex = at
  for (let match = FLAT_FIELD.exec(xml); match !== null; match = FLAT_FIELD.exec(xml)) {
    at = FLAT_FIELD.lastIndex
    const name = match[1]!
    if (!FLAT_NAMES.has(name)) return undefined
    const value = match[2] !== undefined ? { [CDATA]: match[2] } : match[3]!
    const earlier = fields[name]
    if (earlier === undefined) fields[name] = value
    else if (Array.isArray(earlier)) earlier.push(value)
    else fields[name] = [earlier, value]
    count += 1
  }
  return count > 0 && /^[ \t\r\n]*<\/xml>[ \t\r\n]*$/.test(xml.slice(at)) ? fields : undefined
}

/**
 * Walks the markup the way fast-xml-parser tokenizes it, so that both agree on where each CDATA
 * section, comment, processing instruction and tag begins and ends: quotes count inside tags and
 * processing instructions, not in closing tags. Any "<!" that opens neither a CDATA section nor a
 * comment is a declaration (DOCTYPE, ENTITY, ELEMENT, ATTLIST…) and is refused, as is "<![" that
 * is not "<![CDATA[" and anything left unclosed. A "]]>" inside a message is split by the sender
 * (see cdata below); one that is not ends the section here and in the parser alike, so what
 * follows is checked as markup.
 */
function refuseDeclarations(xml: string): void {
  for (let at = xml.indexOf('<'); at !== -1; at = xml.indexOf('<', at)) {
    let end: number
    if (xml.startsWith('<![CDATA[', at)) end = closing(xml, ']]>', at + 9)
    else if (xml.startsWith('<!--', at)) end = closing(xml, '-->', at + 4)
    else if (xml.startsWith('<!', at)) throw new XmlRejectedError('DOCTYPE, ENTITY and other declarations are not accepted')
    else if (xml.startsWith('</', at)) end = closing(xml, '>', at + 2)
    else end = tagEnd(xml, at + 1, xml.startsWith('<?', at) ? '?>' : '>')
    at = end
  }
}

/** The index just past `marker`, searched from `from`; unclosed markup is refused. */
function closing(xml: string, marker: string, from: number): number {
  const index = xml.indexOf(marker, from)
  if (index === -1) throw new XmlRejectedError('not well-formed XML: unclosed markup')
  return index + marker.length
}

/** As closing, but a quoted attribute value may contain the marker (a tag or a processing instruction). */
function tagEnd(xml: string, from: number, marker: '>' | '?>'): number {
  for (let index = from; index < xml.length; index++) {
    const char = xml[index]
    if (char === '"' || char === "'") {
      index = xml.indexOf(char, index + 1)
      if (index === -1) break
    } else if (xml.startsWith(marker, index)) return index + marker.length
  }
  throw new XmlRejectedError('not well-formed XML: unclosed tag')
}

/**
 * A field's text, with or without CDATA (WeCom sends both, docs/wecom.md, Callback messages); '' for an empty
 * element (an empty AgentID is tolerated), undefined when absent. A repeated field gives its first.
 */
export function xmlText(fields: XmlFields, name: string): string | undefined {
  const value = fields[name]
  if (value === undefined) return undefined
  return textOf(Array.isArray(value) ? value[0] : value)
}

/** Every occurrence of a field (one, or several when repeated), each as its child fields. */
export function xmlChildren(fields: XmlFields, name: string): XmlFields[] {
  const value = fields[name]
  if (value === undefined) return []
  return (Array.isArray(value) ? value : [value]).filter((node): node is XmlFields => typeof node === 'object' && node !== null)
}

/** Every occurrence of a text field (e.g. the OptionId of a card's selection). */
export function xmlTexts(fields: XmlFields, name: string): string[] {
  const value = fields[name]
  if (value === undefined) return []
  return (Array.isArray(value) ? value : [value]).map(textOf)
}

function textOf(node: unknown): string {
  if (typeof node === 'string') return decodePredefinedEntities(node)
  if (typeof node === 'number' || typeof node === 'boolean') return String(node)
  if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>
    const cdata = record[CDATA]
    const text = record['#text']
    return `${typeof text === 'string' ? decodePredefinedEntities(text) : ''}${Array.isArray(cdata) ? cdata.join('') : typeof cdata === 'string' ? cdata : ''}`
  }
  return ''
}

/** The five predefined XML entities and numeric character references; nothing else is expanded. */
function decodePredefinedEntities(text: string): string {
  if (!text.includes('&')) return text
  return text.replace(/&(lt|gt|amp|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});/g, (entity, name: string) => {
    switch (name) {
      case 'lt':
        return '<'
      case 'gt':
        return '>'
      case 'amp':
        return '&'
      case 'quot':
        return '"'
      case 'apos':
        return "'"
      default: {
        const code = name.startsWith('#x') ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1))
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity
      }
    }
  })
}

/** Wraps text in CDATA, splitting any "]]>" inside it so that it cannot end the section early. */
export function cdata(text: string): string {
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`
}
