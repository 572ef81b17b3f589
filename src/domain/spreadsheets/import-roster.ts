import { In, type DataSource } from 'typeorm'
import { PersonSchema, RoleAssignmentSchema, UnitSchema, type Person, type Role, type Unit, type UnitKind } from '../../db/entities/index.js'
import { problemCollector, text, type ImportResult } from './import-report.js'
import type { ImportLimits } from './import-limits.js'
import { readTable, type ColumnSpec } from './read-table.js'
import { unknownUnitOr } from '../roster/find-unit.js'

export const UNIT_COLUMNS: readonly ColumnSpec[] = [
  { key: 'name', header: '单位名称', synonyms: ['单位', '名称', '单位全称'] },
  { key: 'kind', header: '单位类型', synonyms: ['类型', '单位性质', '类别'] },
  { key: 'parent', header: '上级单位', synonyms: ['主管单位', '上级', '所属单位'] },
]

export const PEOPLE_COLUMNS: readonly ColumnSpec[] = [
  { key: 'name', header: '姓名', synonyms: ['名字'] },
  { key: 'userid', header: '企业微信账号', synonyms: ['账号', '企业微信帐号', '帐号', 'userid', '企业微信id', '成员账号'] },
  { key: 'unit', header: '单位', synonyms: ['所在单位', '单位名称', '工作单位'] },
  { key: 'title', header: '职务', synonyms: ['职位', '职务职级'] },
  { key: 'roles', header: '角色', synonyms: ['专项治理角色', '身份'] },
  { key: 'mobile', header: '手机', synonyms: ['手机号', '手机号码', '联系电话', '电话'] },
]

/** The words offices write for a unit's type. */
const UNIT_KINDS: Record<string, UnitKind> = {
  镇: 'town',
  乡镇: 'town',
  乡: 'town',
  街道: 'town',
  县直: 'county_department',
  县直单位: 'county_department',
  县直部门: 'county_department',
  部门: 'county_department',
  事业单位: 'institution',
  直属事业单位: 'institution',
  联席会议成员单位: 'joint_member',
}

/** The roles as the spreadsheets name them. */
export const ROLE_WORDS: Record<string, Role> = {
  第一责任人: 'unit_head',
  分管领导: 'leader',
  责任领导: 'leader',
  联络员: 'liaison',
  责任人: 'staff',
  具体责任人: 'staff',
  联席会议成员: 'meeting_member',
  组织部管理员: 'org_admin',
  督查组: 'inspector',
  检查组: 'inspector',
}

/**
 * 单位: by name. A new name is created, a known one updated in place (type, parent); the parent
 * may be another row of the same file. With any problem nothing is written.
 */
export async function importUnits(ds: DataSource, path: string, options: { dryRun?: boolean; limits?: Partial<ImportLimits> } = {}): Promise<ImportResult> {
  const table = await readTable(path, UNIT_COLUMNS, options.limits)
  const { problems, add } = problemCollector(table)
  const known = new Map((await ds.getRepository(UnitSchema).find()).map((u) => [u.name, u]))
  const seen = new Map<string, number>()
  const planned: { name: string; kind: UnitKind; parent: string }[] = []
  for (const row of table.rows) {
    const name = text(row.cells.name)
    const kindText = text(row.cells.kind).replace(/\s+/g, '')
    const parent = text(row.cells.parent)
    if (!name) add(row, 'name', '缺少单位名称')
    else if (name.length > 100) add(row, 'name', '单位名称超过100字')
    else if (seen.has(name)) add(row, 'name', `与第 ${seen.get(name)} 行重复`)
    const kind = kindText ? UNIT_KINDS[kindText] : (known.get(name)?.kind ?? undefined)
    if (!kind) add(row, 'kind', kindText ? `单位类型「${kindText}」无法识别，可写 镇、县直单位、事业单位、联席会议成员单位` : '缺少单位类型（镇、县直单位、事业单位）')
    if (parent && parent === name) add(row, 'parent', '上级单位不能是本单位')
    if (name) seen.set(name, row.row)
    if (name && kind) planned.push({ name, kind, parent })
  }
  for (const [index, unit] of planned.entries()) {
    if (unit.parent && !known.has(unit.parent) && !seen.has(unit.parent)) {
      const names = [...known.keys(), ...seen.keys()]
      add(table.rows.find((r) => text(r.cells.name) === unit.name) ?? table.rows[index]!, 'parent', unknownUnitOr(unit.parent, names, `上级单位「${unit.parent}」不在花名册或本表中`))
    }
  }
  const result: ImportResult = { rows: table.rows.length, created: 0, updated: 0, unchanged: 0, problems, written: false }
  if (problems.length > 0) return result
  const write = !options.dryRun
  const run = async (manager: DataSource['manager']) => {
    const units = new Map((await manager.find(UnitSchema)).map((u) => [u.name, u]))
    // New units first (a parent may come later in the file); in a dry run, a stand-in id each.
    const ids = new Map([...units.values()].map((u) => [u.name, u.id]))
    let standIn = -1
    for (const unit of planned) {
      if (ids.has(unit.name)) continue
      result.created += 1
      ids.set(unit.name, write ? (await manager.save(UnitSchema, { name: unit.name, kind: unit.kind, parentId: null } as Unit)).id : standIn--)
    }
    for (const unit of planned) {
      const parentId = unit.parent ? ids.get(unit.parent)! : null
      const existing = units.get(unit.name)
      if (!existing) {
        if (write && parentId !== null) await manager.update(UnitSchema, { id: ids.get(unit.name)! }, { parentId })
        continue
      }
      if (existing.kind === unit.kind && existing.parentId === parentId) {
        result.unchanged += 1
        continue
      }
      result.updated += 1
      if (write) await manager.update(UnitSchema, { id: existing.id }, { kind: unit.kind, parentId })
    }
  }
  if (write) {
    await ds.transaction(run)
    result.written = true
  } else await run(ds.manager)
  return result
}

/**
 * 人员: by 企业微信账号 (userid). A new userid is created, a known one updated in place (name,
 * unit, title, mobile, and its roles: the file lists them all). Units must be in the roster
 * (import them first). With any problem nothing is written.
 */
export async function importPeople(ds: DataSource, path: string, options: { dryRun?: boolean; limits?: Partial<ImportLimits> } = {}): Promise<ImportResult> {
  const table = await readTable(path, PEOPLE_COLUMNS, options.limits)
  const { problems, add } = problemCollector(table)
  const units = new Map((await ds.getRepository(UnitSchema).find()).map((u) => [u.name, u]))
  const seen = new Map<string, number>()
  const planned: { userid: string; name: string; unit: Unit; title: string | null; mobile: string | null; roles: Role[] }[] = []
  for (const row of table.rows) {
    const name = text(row.cells.name)
    const userid = text(row.cells.userid).toLowerCase()
    const unitName = text(row.cells.unit)
    const mobile = text(row.cells.mobile).replace(/[\s-]/g, '') || null
    if (!name) add(row, 'name', '缺少姓名')
    if (!userid) add(row, 'userid', '缺少企业微信账号（成员的 UserID，在企业微信管理后台「通讯录」可查）')
    else if (!/^[a-z0-9_.@-]{1,64}$/.test(userid)) add(row, 'userid', `企业微信账号「${userid}」应为 1–64 位字母、数字或 _ . @ -`)
    else if (seen.has(userid)) add(row, 'userid', `与第 ${seen.get(userid)} 行是同一账号`)
    if (userid) seen.set(userid, row.row)
    const unit = units.get(unitName)
    if (!unitName) add(row, 'unit', '缺少单位')
    else if (!unit) add(row, 'unit', unknownUnitOr(unitName, [...units.keys()], `单位「${unitName}」不在花名册中（请先导入单位）`))
    if (mobile && !/^\+?\d{6,20}$/.test(mobile)) add(row, 'mobile', `手机「${mobile}」不是号码`)
    const roles: Role[] = []
    for (const word of text(row.cells.roles).split(/[、,，;；/\s]+/).filter(Boolean)) {
      const role = ROLE_WORDS[word]
      if (role) roles.push(role)
      else add(row, 'roles', `角色「${word}」无法识别，可写 ${Object.keys(ROLE_WORDS).slice(0, 7).join('、')}`)
    }
    if (name && userid && unit) planned.push({ userid, name, unit, title: text(row.cells.title) || null, mobile, roles: [...new Set(roles)] })
  }
  const result: ImportResult = { rows: table.rows.length, created: 0, updated: 0, unchanged: 0, problems, written: false }
  if (problems.length > 0) return result
  const write = !options.dryRun
  const count = async (manager: DataSource['manager']) => {
    const existing = new Map((await manager.findBy(PersonSchema, { userid: In(planned.map((p) => p.userid)) })).map((p) => [p.userid, p]))
    const assignments = existing.size === 0 ? [] : await manager.findBy(RoleAssignmentSchema, { personId: In([...existing.values()].map((p) => p.id)) })
    for (const entry of planned) {
      const person = existing.get(entry.userid)
      const roleKey = (role: Role) => `${role}:${role === 'org_admin' ? null : entry.unit.id}`
      const wanted = new Set(entry.roles.map(roleKey))
      if (!person) {
        result.created += 1
        if (!write) continue
        const saved = await manager.save(PersonSchema, { userid: entry.userid, name: entry.name, unitId: entry.unit.id, title: entry.title, mobile: entry.mobile } as Person)
        for (const role of entry.roles) await manager.insert(RoleAssignmentSchema, { personId: saved.id, role, unitId: role === 'org_admin' ? null : entry.unit.id })
        continue
      }
      const held = assignments.filter((a) => a.personId === person.id)
      const heldKeys = new Set(held.map((a) => `${a.role}:${a.unitId}`))
      const fieldsChanged = person.name !== entry.name || person.unitId !== entry.unit.id || person.title !== entry.title || person.mobile !== entry.mobile || !person.active
      const rolesChanged = held.length !== wanted.size || [...wanted].some((k) => !heldKeys.has(k))
      if (!fieldsChanged && !rolesChanged) {
        result.unchanged += 1
        continue
      }
      result.updated += 1
      if (!write) continue
      if (fieldsChanged) await manager.update(PersonSchema, { id: person.id }, { name: entry.name, unitId: entry.unit.id, title: entry.title, mobile: entry.mobile, active: true })
      if (rolesChanged) {
        await manager.delete(RoleAssignmentSchema, { personId: person.id })
        for (const role of entry.roles) await manager.insert(RoleAssignmentSchema, { personId: person.id, role, unitId: role === 'org_admin' ? null : entry.unit.id })
      }
    }
  }
  if (write) {
    await ds.transaction(count)
    result.written = true
  } else await count(ds.manager)
  return result
}
