import { EntitySchema } from 'typeorm'
import { createdAt, flag, instant, primaryId, reference, shortText } from '../columns.js'

/** 人员: has a WeCom userid, belongs to a unit. */
export interface Person {
  id: number
  /** WeCom UserID: 1–64 chars, case-insensitive, stored lower-cased (docs/wecom.md, Identifiers). */
  userid: string
  name: string
  unitId: number | null
  title: string | null
  mobile: string | null
  /** Uses WeCom through WeChat (微信插件): gets plain text, since markdown does not render there. */
  viaWechat: boolean
  /** WeCom refused delivery: 'invaliduser' or 'unlicenseduser' (null: deliverable as far as known). */
  undeliverable: string | null
  undeliverableSince: Date | null
  active: boolean
  createdAt: Date
}

function toLowerUserid(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value
}

export const PersonSchema = new EntitySchema<Person>({
  name: 'Person',
  tableName: 'person',
  columns: {
    id: primaryId(),
    // WeCom userids are case-insensitive and WeCom answers in lower case (docs/wecom.md, Identifiers): stored
    // lower-cased so that "WuFang" and "wufang" are one person on SQLite as on MySQL.
    userid: { ...shortText(64), transformer: { to: toLowerUserid, from: (value: string) => value } },
    name: shortText(50),
    unitId: reference('Unit', 'fk_person_unit', { nullable: true, onDelete: 'SET NULL' }),
    title: shortText(100, { nullable: true }),
    mobile: shortText(20, { nullable: true }),
    viaWechat: flag(false),
    undeliverable: shortText(16, { nullable: true }),
    undeliverableSince: instant({ nullable: true }),
    active: flag(true),
    createdAt: createdAt(),
  },
  uniques: [{ name: 'uq_person_userid', columns: ['userid'] }],
  indices: [{ name: 'idx_person_unit', columns: ['unitId'] }],
})
