import type { DataSource, EntityManager } from 'typeorm'
import { PersonSchema, RoleAssignmentSchema } from '../../db/entities/index.js'

/**
 * The organization department's administrators (org_admin), active, in roster order: they get
 * operational alerts and are the people to contact about the roster.
 */
export async function orgAdmins(db: DataSource | EntityManager): Promise<{ userid: string; name: string }[]> {
  const rows = await db
    .createQueryBuilder()
    .select('p.userid', 'userid')
    .addSelect('p.name', 'name')
    .from(PersonSchema, 'p')
    .innerJoin(RoleAssignmentSchema.options.name, 'r', 'r.person_id = p.id')
    .where("r.role = 'org_admin' AND p.active = :active", { active: true })
    .orderBy('p.id')
    .getRawMany<{ userid: string; name: string }>()
  const seen = new Set<string>()
  return rows.filter((row) => !seen.has(row.userid) && seen.add(row.userid))
}

/** Whom to ask to be registered: "县委组织部干部监督科（王健、周敏）", naming the administrators when there are any. */
export async function rosterContact(db: DataSource | EntityManager): Promise<string> {
  const names = (await orgAdmins(db)).map((admin) => admin.name)
  return names.length > 0 ? `县委组织部干部监督科（${names.join('、')}）` : '县委组织部干部监督科'
}
