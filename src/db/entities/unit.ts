import { EntitySchema } from 'typeorm'
import { createdAt, primaryId, reference, shortText } from '../columns.js'

export const UNIT_KINDS = ['town', 'county_department', 'institution', 'joint_member'] as const
/** 镇 / 县直单位 / 事业单位 / 联席会议成员单位. */
export type UnitKind = (typeof UNIT_KINDS)[number]

/** 单位: a town, a county department or an institution; may have a parent (所辖单位). */
export interface Unit {
  id: number
  name: string
  kind: UnitKind
  parentId: number | null
  createdAt: Date
}

export const UnitSchema = new EntitySchema<Unit>({
  name: 'Unit',
  tableName: 'unit',
  columns: {
    id: primaryId(),
    name: shortText(100),
    kind: shortText(32),
    parentId: reference('Unit', 'fk_unit_parent', { nullable: true, onDelete: 'SET NULL' }),
    createdAt: createdAt(),
  },
  uniques: [{ name: 'uq_unit_name', columns: ['name'] }],
})
