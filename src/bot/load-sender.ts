import type { DataSource } from 'typeorm'
import { PersonSchema, RoleAssignmentSchema, type Person, type Role } from '../domain/entities/index.js'

/** The roster entry of a verified sender and the roles they hold; null when not in the roster. */
export async function loadSender(dataSource: DataSource, userid: string): Promise<{ person: Person; roles: Role[] } | null> {
  const person = await dataSource.getRepository(PersonSchema).findOneBy({ userid: userid.toLowerCase(), active: true })
  if (!person) return null
  const assignments = await dataSource.getRepository(RoleAssignmentSchema).findBy({ personId: person.id })
  return { person, roles: [...new Set(assignments.map((a) => a.role))] }
}

/** Who to contact about the roster: the organization department's administrators, by name. */
export async function rosterContacts(dataSource: DataSource): Promise<string[]> {
  const rows = await dataSource
    .createQueryBuilder()
    .select('p.name', 'name')
    .from(PersonSchema, 'p')
    .innerJoin(RoleAssignmentSchema.options.name, 'r', 'r.person_id = p.id')
    .where("r.role = 'org_admin' AND p.active = :active", { active: true })
    .orderBy('p.id')
    .getRawMany<{ name: string }>()
  return [...new Set(rows.map((r) => r.name))]
}
