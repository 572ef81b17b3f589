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
  refuseDeclarations(xml)
  const valid = XMLValidator.validate(xml)
  if (valid !== true) throw new XmlRejectedError(`not well-formed XML: ${valid.err.msg}`)
  const document = parser.parse(xml) as Record<string, unknown>
  const root = document.xml
  if (typeof root !== 'object' || root === null) throw new XmlRejectedError('no <xml> root element')
  return root as XmlFields
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
