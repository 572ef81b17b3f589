import { XMLParser, XMLValidator } from 'fast-xml-parser'

/** The XML is not something WeCom sends (not XML, a DOCTYPE or entity declaration, no <xml> root). */
export class XmlRejectedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'XmlRejectedError'
  }
}

const CDATA = '#cdata'

// Hardened: no DOCTYPE (refused before parsing), no entity expansion, no attributes, values kept
// as strings (a 19-digit MsgId must not become a float), CDATA kept apart so that only text
// outside CDATA has its predefined entities decoded.
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
 * element's children. Refuses DOCTYPE and ENTITY declarations outright: WeCom never sends them,
 * and they are how entity-expansion bombs and external entities get in.
 */
export function parseWeComXml(xml: string): XmlFields {
  if (/<!\s*(DOCTYPE|ENTITY)/i.test(xml)) throw new XmlRejectedError('DOCTYPE or ENTITY declarations are not accepted')
  const valid = XMLValidator.validate(xml)
  if (valid !== true) throw new XmlRejectedError(`not well-formed XML: ${valid.err.msg}`)
  const document = parser.parse(xml) as Record<string, unknown>
  const root = document.xml
  if (typeof root !== 'object' || root === null) throw new XmlRejectedError('no <xml> root element')
  return root as XmlFields
}

/**
 * A field's text, with or without CDATA (WeCom sends both, WECOM.md §2.3); '' for an empty
 * element (an empty AgentID is tolerated), undefined when absent. A repeated field gives its first.
 */
export function xmlText(fields: XmlFields, name: string): string | undefined {
  const value = fields[name]
  if (value === undefined) return undefined
  return textOf(Array.isArray(value) ? value[0] : value)
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
