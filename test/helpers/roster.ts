import type { DataSource } from 'typeorm'
import { PersonSchema, RoleAssignmentSchema, UnitSchema, type Role } from '../../src/db/entities/index.js'

export interface RosterEntry {
  userid: string
  name: string
  roles?: Role[]
  viaWechat?: boolean
}

/** A unit (found by name, or created) and its people, with roles; returns the unit id. */
export async function seedRoster(dataSource: DataSource, unitName: string, people: RosterEntry[]): Promise<number> {
  const unit =
    (await dataSource.getRepository(UnitSchema).findOneBy({ name: unitName })) ??
    (await dataSource.getRepository(UnitSchema).save({ name: unitName, kind: 'county_department', parentId: null }))
  for (const entry of people) {
    const person = await dataSource.getRepository(PersonSchema).save({
      userid: entry.userid,
      name: entry.name,
      unitId: unit.id,
      title: null,
      mobile: null,
      viaWechat: entry.viaWechat ?? false,
    })
    for (const role of entry.roles ?? []) {
      await dataSource.getRepository(RoleAssignmentSchema).save({ personId: person.id, role, unitId: role === 'org_admin' ? null : unit.id })
    }
  }
  return unit.id
}

/** Two member units' people holding meeting_member (with seedLedger's 王健 of 组织部, a meeting's participants). */
export async function seedMeetingMembers(dataSource: DataSource): Promise<void> {
  await seedRoster(dataSource, '县纪委(监察局)', [{ userid: 'xumin', name: '徐敏', roles: ['meeting_member'] }])
  await seedRoster(dataSource, '县委宣传部', [{ userid: 'zhouqiang', name: '周强', roles: ['meeting_member'] }])
}
