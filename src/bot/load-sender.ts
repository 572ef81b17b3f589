import type { DataSource } from 'typeorm'
import { PersonSchema, RoleAssignmentSchema, type Person, type Role, type RoleAssignment } from '../db/entities/index.js'

export interface Sender {
  person: Person
  /** The roles held, whatever their unit. */
  roles: Role[]
  /** Each role with the unit it applies to (null: county-wide). */
  assignments: RoleAssignment[]
}

/** The roster entry of a verified sender and the roles they hold; null when not in the roster. */
export async function loadSender(dataSource: DataSource, userid: string): Promise<Sender | null> {
  const person = await dataSource.getRepository(PersonSchema).findOneBy({ userid: userid.toLowerCase(), active: true })
  if (!person) return null
  const assignments = await dataSource.getRepository(RoleAssignmentSchema).findBy({ personId: person.id })
  return { person, roles: [...new Set(assignments.map((a) => a.role))], assignments }
}
