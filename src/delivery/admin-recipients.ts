import type { EntityManager } from 'typeorm'
import { PersonSchema, RoleAssignmentSchema } from '../domain/entities/index.js'

/** The userids of the organization department's administrators (org_admin), who get operational alerts. */
export async function adminUserids(manager: EntityManager): Promise<string[]> {
  const rows = await manager
    .createQueryBuilder()
    .select('p.userid', 'userid')
    .from(PersonSchema, 'p')
    .innerJoin(RoleAssignmentSchema.options.name, 'r', 'r.person_id = p.id')
    .where("r.role = 'org_admin' AND p.active = :active", { active: true })
    .getRawMany<{ userid: string }>()
  return [...new Set(rows.map((r) => r.userid))].sort()
}
