import type { EntitySchemaColumnOptions } from 'typeorm'
import type { OnDeleteType } from 'typeorm/metadata/types/OnDeleteType.js'

/**
 * Column helpers shared by every entity schema, so that one declaration means the same on
 * SQLite and MySQL/MariaDB (n8n's packages/@n8n/db does the same). Every column names its
 * type explicitly: esbuild (tsx, vitest) emits no decorator metadata.
 * The initial migration spells out the same types; the schema test proves they agree.
 */
export const primaryId = (): EntitySchemaColumnOptions => ({ type: 'int', primary: true, generated: 'increment' })

/** A foreign key column; the constraint name is given so migrations and entities agree. */
export const reference = (
  target: string,
  constraint: string,
  options: { nullable?: boolean; onDelete?: OnDeleteType } = {},
): EntitySchemaColumnOptions => ({
  type: 'int',
  nullable: options.nullable ?? false,
  foreignKey: { target, name: constraint, onDelete: options.onDelete ?? 'RESTRICT' },
})

export const shortText = (length: number, options: { nullable?: boolean; default?: string } = {}): EntitySchemaColumnOptions => ({
  type: 'varchar',
  length,
  nullable: options.nullable ?? false,
  ...(options.default === undefined ? {} : { default: options.default }),
})

export const longText = (options: { nullable?: boolean } = {}): EntitySchemaColumnOptions => ({
  type: 'text',
  nullable: options.nullable ?? false,
})

export const integer = (options: { nullable?: boolean; default?: number } = {}): EntitySchemaColumnOptions => ({
  type: 'int',
  nullable: options.nullable ?? false,
  ...(options.default === undefined ? {} : { default: options.default }),
})

export const flag = (defaultValue: boolean): EntitySchemaColumnOptions => ({ type: 'boolean', default: defaultValue })

/** A calendar date in Beijing time, read and written as "YYYY-MM-DD" (see time/calendar-date). */
export const calendarDate = (options: { nullable?: boolean } = {}): EntitySchemaColumnOptions => ({
  type: 'date',
  nullable: options.nullable ?? false,
})

/** An instant, stored in UTC (datetime(6) on MySQL: TypeORM defaults create/update dates to CURRENT_TIMESTAMP(6)). */
export const instant = (options: { nullable?: boolean } = {}): EntitySchemaColumnOptions => ({
  type: 'datetime',
  precision: 6,
  nullable: options.nullable ?? false,
})

/** Set once by TypeORM on insert (UTC). */
export const createdAt = (): EntitySchemaColumnOptions => ({ type: 'datetime', precision: 6, createDate: true })

/** Refreshed by TypeORM on every save (UTC). */
export const updatedAt = (): EntitySchemaColumnOptions => ({ type: 'datetime', precision: 6, updateDate: true })
