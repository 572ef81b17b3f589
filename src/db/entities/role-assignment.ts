import { EntitySchema } from 'typeorm'
import { createdAt, primaryId, reference, shortText } from '../columns.js'

export const ROLES = ['org_admin', 'inspector', 'unit_head', 'leader', 'liaison', 'staff', 'meeting_member'] as const
/** 角色 (docs/architecture.md): 组织部管理员, 检查组, 第一责任人, 分管领导, 联络员, 具体责任人, 联席会议成员. */
export type Role = (typeof ROLES)[number]

/** A role a person holds, optionally scoped to one unit; a person may hold several. */
export interface RoleAssignment {
  id: number
  personId: number
  role: Role
  /** The unit the role applies to; null for county-wide roles such as org_admin. */
  unitId: number | null
  createdAt: Date
}

export const RoleAssignmentSchema = new EntitySchema<RoleAssignment>({
  name: 'RoleAssignment',
  tableName: 'role_assignment',
  columns: {
    id: primaryId(),
    personId: reference('Person', 'fk_role_assignment_person', { onDelete: 'CASCADE' }),
    role: shortText(32),
    unitId: reference('Unit', 'fk_role_assignment_unit', { nullable: true, onDelete: 'CASCADE' }),
    createdAt: createdAt(),
  },
  uniques: [{ name: 'uq_role_assignment', columns: ['personId', 'role', 'unitId'] }],
  indices: [{ name: 'idx_role_assignment_unit_role', columns: ['unitId', 'role'] }],
})
