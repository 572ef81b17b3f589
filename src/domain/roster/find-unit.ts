import type { DataSource, EntityManager } from 'typeorm'
import { UnitSchema, type Unit } from '../../db/entities/index.js'
import { RefusalError } from '../../errors.js'
import { editDistance } from '../text/normalize-text.js'
import { quoteTyped } from '../text/text-limits.js'

const managerOf = (db: DataSource | EntityManager): EntityManager => ('manager' in db ? db.manager : db)

/**
 * A unit by the name a person typed: exactly, or with full-width and half-width forms taken as
 * the same ("县纪委（监察局）" finds "县纪委(监察局)").
 */
export async function findUnitByName(db: DataSource | EntityManager, name: string): Promise<Unit | null> {
  const manager = managerOf(db)
  const exact = await manager.findOneBy(UnitSchema, { name })
  if (exact) return exact
  const wanted = name.normalize('NFKC')
  return (await manager.find(UnitSchema)).find((unit) => unit.name.normalize('NFKC') === wanted) ?? null
}

/** findUnitByName, or a refusal naming the units closest to what was typed. */
export async function unitByNameOrRefuse(db: DataSource | EntityManager, name: string): Promise<Unit> {
  const unit = await findUnitByName(db, name)
  if (unit) return unit
  const names = (await managerOf(db).find(UnitSchema, { select: { id: true, name: true }, order: { id: 'ASC' } })).map((u) => u.name)
  throw new RefusalError('no_unit', unknownUnitText(name, names))
}

/** "没有「县市场监管局」这个单位。您是不是指「县市场监督管理局」？" (the question only when a name is close). */
export function unknownUnitText(typed: string, names: readonly string[]): string {
  return `没有「${quoteTyped(typed)}」这个单位。${didYouMean(nearestUnitNames(typed, names))}`
}

/** For a list of problems (an import row): the suggestion when a name is close, else `otherwise` (what to do about a new unit). */
export function unknownUnitOr(typed: string, names: readonly string[], otherwise: string): string {
  return nearestUnitNames(typed, names).length > 0 ? unknownUnitText(typed, names) : otherwise
}

/** "您是不是指「A」？", "您是不是指「A」、「B」或「C」？", or '' for no names. */
export function didYouMean(names: readonly string[]): string {
  if (names.length === 0) return ''
  const quoted = names.map((name) => `「${name}」`)
  const last = quoted.pop()!
  return `您是不是指${quoted.length > 0 ? `${quoted.join('、')}或` : ''}${last}？`
}

/** Every character of `short` found in `long`, in order: 县市场监管局 in 县市场监督管理局, 城关 in 城关镇. */
function inOrder(short: string, long: string): boolean {
  let at = 0
  for (const char of short) {
    at = long.indexOf(char, at)
    if (at < 0) return false
    at += char.length
  }
  return true
}

/**
 * At most three unit names close to a typed one, closest first: a name holding the typed
 * characters in order (an abbreviation, a part) or held in them, or one a few edits away (a
 * third of its length at most); full-width and half-width forms alike.
 */
export function nearestUnitNames(typed: string, names: readonly string[], max = 3): string[] {
  const wanted = typed.normalize('NFKC').trim()
  const length = [...wanted].length
  if (length === 0) return []
  const near: { name: string; distance: number; index: number }[] = []
  names.forEach((name, index) => {
    const plain = name.normalize('NFKC')
    const distance = editDistance(wanted, plain)
    const abbreviation = length >= 2 && (inOrder(wanted, plain) || ([...plain].length >= 2 && inOrder(plain, wanted)))
    if (abbreviation || distance <= Math.max(1, Math.floor(length / 3))) near.push({ name, distance, index })
  })
  return near
    .sort((a, b) => a.distance - b.distance || a.index - b.index)
    .slice(0, max)
    .map((u) => u.name)
}
