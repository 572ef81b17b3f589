import type { DataSource } from 'typeorm'
import { UnitSchema, type Unit } from '../../db/entities/index.js'

/**
 * A unit by the name a person typed: exactly, or with full-width and half-width forms taken as
 * the same ("县纪委（监察局）" finds "县纪委(监察局)").
 */
export async function findUnitByName(ds: DataSource, name: string): Promise<Unit | null> {
  const exact = await ds.getRepository(UnitSchema).findOneBy({ name })
  if (exact) return exact
  const wanted = name.normalize('NFKC')
  return (await ds.getRepository(UnitSchema).find()).find((unit) => unit.name.normalize('NFKC') === wanted) ?? null
}
