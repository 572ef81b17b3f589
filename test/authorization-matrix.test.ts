import type { DataSource } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commands } from '../commands/index.js'
import {
  AccountabilitySchema,
  AttendanceSchema,
  CircularReceiptSchema,
  CircularSchema,
  ExtensionRequestSchema,
  InspectionSchema,
  MeetingSchema,
  PersonLeaveSchema,
  PersonSchema,
  PublicReportSchema,
  type LedgerItem,
  type LedgerStatus,
  type Role,
} from '../src/db/entities/index.js'
import { addLedgerItem, chatAs, seedLedger } from './helpers/ledger-fixture.js'
import { seedMeetingMembers, seedRoster } from './helpers/roster.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

/**
 * every command × every role × ownership, through the real dispatcher.
 * Who a sender is comes only from the (verified) sender userid the dispatcher is given; the
 * rows below say who may do what, and each case checks the reply and the whole database:
 * a refusal answers in Chinese and changes no row of any table; an allowed change writes; an
 * allowed read writes nothing.
 */

/** 2015-08-31 10:00 in Beijing: the campaign is running. */
const NOW = new Date('2015-08-31T02:00:00Z')

type Who = Role | 'no_role' | 'unknown'
const EVERY_ROLE: readonly Role[] = ['org_admin', 'inspector', 'unit_head', 'leader', 'liaison', 'staff', 'meeting_member']
const WHO: readonly Who[] = [...EVERY_ROLE, 'no_role', 'unknown']
const REGISTERED: readonly Who[] = WHO.filter((w) => w !== 'unknown')
/** The holder of each role in the fixture: all unit roles are of 城关镇 ("own"); 后港镇 is "another unit". */
const ACTOR: Record<Who, string> = {
  org_admin: 'wangjian',
  inspector: 'liuyang',
  unit_head: 'zhangwei',
  leader: 'lina',
  liaison: 'chenjing',
  staff: 'zhaolei',
  meeting_member: 'xumin',
  no_role: 'nobody',
  unknown: 'stranger',
}
/** Those responsible for 城关镇's items: its head, liaison, and the item's leader and person. */
const RESPONSIBLE: readonly Who[] = ['unit_head', 'leader', 'liaison', 'staff']

type Ownership = 'own' | 'other' | 'none'

interface Row {
  /** The registry name of the command. */
  command: string
  ownership: Ownership
  label?: string
  /** Makes what the case acts on (fresh each time) and returns the chat text. */
  text(setup: Setup, who: Who): Promise<string>
  allowed: readonly Who[]
  /** An allowed case writes (some row changes) or only reads (nothing changes). */
  effect: 'writes' | 'reads'
  /** What an allowed answer says. */
  ok: RegExp
}

interface Setup {
  item(ownership: 'own' | 'other', status?: LedgerStatus): Promise<LedgerItem>
  extensionRequest(ownership: 'own' | 'other'): Promise<number>
  meeting(invite: string | null, startsAt?: Date): Promise<number>
  circular(recipient: string | null): Promise<number>
  leave(userid: string): Promise<void>
  /** A decision of 组织部 (问责) for 城关镇's 赵磊; its id. */
  accountability(): Promise<number>
  /** A finding (督查) of 城关镇, not a typical case; its id. */
  inspection(): Promise<number>
  /** A report from the public (举报) assigned to liuyang (own) or to someone else (other); its id. */
  publicReport(ownership: 'own' | 'other'): Promise<number>
  unique(): number
}

const REPORT = '本月召开推进会1次，查摆问题3个，已整改2个，下月完成剩余整改。'
const register = (unit: string, leader: string, person: string, n: number) =>
  `登记\n单位：${unit}\n类别：(二)\n问题：授权矩阵登记问题${n}\n措施：建立首办责任制\n目标：积案全部化解\n时限：9月30日\n责任领导：${leader}\n责任人：${person}`

const MATRIX: readonly Row[] = [
  { command: '帮助', ownership: 'none', text: async () => '帮助', allowed: REGISTERED, effect: 'reads', ok: /可用命令/ },
  { command: '待办', ownership: 'none', text: async () => '待办', allowed: REGISTERED, effect: 'reads', ok: /待办（/ },
  { command: '更多', ownership: 'none', text: async () => '更多', allowed: REGISTERED, effect: 'reads', ok: /没有可以继续查看的列表/ },
  { command: '我的', ownership: 'own', text: async () => '我的 城关镇', allowed: ['org_admin', 'inspector', 'unit_head', 'liaison'], effect: 'reads', ok: /城关镇台账/ },
  { command: '我的', ownership: 'other', text: async () => '我的 后港镇', allowed: ['org_admin', 'inspector'], effect: 'reads', ok: /后港镇台账/ },
  { command: '详情', ownership: 'own', text: async (s) => `详情 ${(await s.item('own')).id}`, allowed: ['org_admin', 'inspector', ...RESPONSIBLE], effect: 'reads', ok: /问题：/ },
  { command: '详情', ownership: 'other', text: async (s) => `详情 ${(await s.item('other')).id}`, allowed: ['org_admin', 'inspector'], effect: 'reads', ok: /问题：/ },
  { command: '进度', ownership: 'own', text: async (s) => `进度 ${(await s.item('own')).id} 60% 已完成初步整改`, allowed: RESPONSIBLE, effect: 'writes', ok: /已记录 #\d+ 进度/ },
  { command: '进度', ownership: 'other', text: async (s) => `进度 ${(await s.item('other')).id} 60% 已完成初步整改`, allowed: [], effect: 'writes', ok: /已记录/ },
  { command: '完成', ownership: 'own', text: async (s) => `完成 ${(await s.item('own')).id} 已建立首问负责制`, allowed: RESPONSIBLE, effect: 'writes', ok: /整改完成/ },
  { command: '完成', ownership: 'other', text: async (s) => `完成 ${(await s.item('other')).id} 已建立首问负责制`, allowed: [], effect: 'writes', ok: /整改完成/ },
  { command: '销号', ownership: 'own', text: async (s) => `销号 ${(await s.item('own', 'rectified')).id} 经核实整改到位`, allowed: ['org_admin', 'inspector'], effect: 'writes', ok: /已销号/ },
  { command: '销号', ownership: 'other', text: async (s) => `销号 ${(await s.item('other', 'rectified')).id} 经核实整改到位`, allowed: ['org_admin', 'inspector'], effect: 'writes', ok: /已销号/ },
  { command: '退回', ownership: 'own', text: async (s) => `退回 ${(await s.item('own', 'rectified')).id} 公示材料不全`, allowed: ['org_admin', 'inspector'], effect: 'writes', ok: /已退回/ },
  { command: '退回', ownership: 'other', text: async (s) => `退回 ${(await s.item('other', 'rectified')).id} 公示材料不全`, allowed: ['org_admin', 'inspector'], effect: 'writes', ok: /已退回/ },
  { command: '延期', ownership: 'own', text: async (s) => `延期 ${(await s.item('own')).id} 9月30日 需等待省厅批复`, allowed: RESPONSIBLE, effect: 'writes', ok: /已提交延期申请/ },
  { command: '延期', ownership: 'other', text: async (s) => `延期 ${(await s.item('other')).id} 9月30日 需等待省厅批复`, allowed: [], effect: 'writes', ok: /已提交延期申请/ },
  { command: '批准', ownership: 'own', text: async (s) => `批准 ${await s.extensionRequest('own')} 同意`, allowed: ['org_admin'], effect: 'writes', ok: /已批准延期申请/ },
  { command: '批准', ownership: 'other', text: async (s) => `批准 ${await s.extensionRequest('other')} 同意`, allowed: ['org_admin'], effect: 'writes', ok: /已批准延期申请/ },
  { command: '驳回', ownership: 'own', text: async (s) => `驳回 ${await s.extensionRequest('own')} 理由不充分`, allowed: ['org_admin'], effect: 'writes', ok: /已驳回延期申请/ },
  { command: '驳回', ownership: 'other', text: async (s) => `驳回 ${await s.extensionRequest('other')} 理由不充分`, allowed: ['org_admin'], effect: 'writes', ok: /已驳回延期申请/ },
  { command: '阶段', ownership: 'none', text: async () => '阶段', allowed: REGISTERED, effect: 'reads', ok: /当前阶段/ },
  { command: '逾期', ownership: 'own', text: async () => '逾期 城关镇', allowed: ['org_admin', 'inspector', 'unit_head'], effect: 'reads', ok: /逾期未整改 \d+ 项/ },
  { command: '逾期', ownership: 'other', text: async () => '逾期 后港镇', allowed: ['org_admin', 'inspector'], effect: 'reads', ok: /逾期未整改/ },
  { command: '统计', ownership: 'none', text: async () => '统计', allowed: ['org_admin', 'inspector', 'meeting_member'], effect: 'reads', ok: /台账统计/ },
  { command: '月报', ownership: 'own', text: async () => `月报 ${REPORT}`, allowed: ['unit_head', 'liaison'], effect: 'writes', ok: /提交城关镇8月月报/ },
  // The county's workbook: a summary and a file for 组织部; the file is stored with the answer by the callback route.
  { command: '月报', ownership: 'none', label: '汇总', text: async () => '月报 汇总', allowed: ['org_admin'], effect: 'reads', ok: /专项治理月报汇总\*\*（截至8月/ },
  { command: '登记', ownership: 'own', text: async (s) => register('城关镇', '李娜', '赵磊', s.unique()), allowed: ['org_admin', 'unit_head', 'liaison'], effect: 'writes', ok: /已登记 #\d+/ },
  { command: '登记', ownership: 'other', text: async (s) => register('后港镇', '孙丽', '吴芳', s.unique()), allowed: ['org_admin'], effect: 'writes', ok: /已登记 #\d+/ },
  { command: '请假', ownership: 'own', text: async () => '请假 至 9月10日', allowed: REGISTERED, effect: 'writes', ok: /已登记请假/ },
  // A deputy of another unit would read this unit's items: refused to everyone.
  { command: '请假', ownership: 'other', label: 'deputy of another unit', text: async () => '请假 至 9月10日 吴芳', allowed: [], effect: 'writes', ok: /已登记请假/ },
  {
    command: '销假',
    ownership: 'own',
    text: async (s, who) => {
      if (who !== 'unknown') await s.leave(ACTOR[who])
      return '销假'
    },
    allowed: REGISTERED,
    effect: 'writes',
    ok: /已销假/,
  },
  { command: '会议', ownership: 'none', label: '列表', text: async () => '会议', allowed: REGISTERED, effect: 'reads', ok: /联席会议|没有要参加的/ },
  { command: '会议', ownership: 'own', label: '详情 (invited)', text: async (s, who) => `会议 详情 ${await s.meeting(ACTOR[who])}`, allowed: REGISTERED, effect: 'reads', ok: /回复情况/ },
  { command: '会议', ownership: 'other', label: '详情 (not invited)', text: async (s) => `会议 详情 ${await s.meeting(null)}`, allowed: ['org_admin'], effect: 'reads', ok: /回复情况/ },
  { command: '会议', ownership: 'none', label: '新建', text: async () => '会议 新建\n时间：9月10日 15:00\n地点：县委第三会议室\n议题：\n通报自查整改进展', allowed: ['org_admin'], effect: 'writes', ok: /已召集联席会议/ },
  { command: '会议', ownership: 'none', label: '改地点', text: async (s) => `会议 改地点 ${await s.meeting(null)} 县委第二会议室`, allowed: ['org_admin'], effect: 'writes', ok: /地点改为/ },
  { command: '会议', ownership: 'none', label: '取消', text: async (s) => `会议 取消 ${await s.meeting(null)} 与巡察冲突`, allowed: ['org_admin'], effect: 'writes', ok: /已取消会议/ },
  { command: '会议', ownership: 'none', label: '参会人', text: async (s) => `会议 参会人 ${await s.meeting(null)} +赵磊`, allowed: ['org_admin'], effect: 'writes', ok: /新增 赵磊/ },
  {
    command: '会议',
    ownership: 'none',
    label: '纪要',
    text: async (s) => `会议 纪要 ${await s.meeting(null, new Date('2015-08-28T07:00:00Z'))}\n加快推进整改`,
    allowed: ['org_admin'],
    effect: 'writes',
    ok: /已记录会议 #\d+ 纪要/,
  },
  { command: '参会', ownership: 'own', text: async (s, who) => `参会 ${await s.meeting(ACTOR[who])} 参加`, allowed: REGISTERED, effect: 'writes', ok: /已确认参加/ },
  { command: '参会', ownership: 'other', text: async (s) => `参会 ${await s.meeting(null)} 参加`, allowed: [], effect: 'writes', ok: /已确认参加/ },
  { command: '通报', ownership: 'none', label: '发布', text: async (s) => `通报 发布 单位 城关镇 授权矩阵通报${s.unique()}\n请于9月5日前报送台账。`, allowed: ['org_admin'], effect: 'writes', ok: /通报 #\d+/ },
  { command: '通报', ownership: 'none', label: '状态', text: async (s) => `通报 状态 ${await s.circular(null)}`, allowed: ['org_admin'], effect: 'reads', ok: /#\d+/ },
  { command: '收到', ownership: 'own', text: async (s, who) => `收到 ${await s.circular(ACTOR[who])}`, allowed: REGISTERED, effect: 'writes', ok: /已确认收到/ },
  { command: '收到', ownership: 'other', text: async (s) => `收到 ${await s.circular(null)}`, allowed: [], effect: 'writes', ok: /已确认收到/ },
  // A unit's report: 组织部 and 检查组 read every unit's, its head, leader and liaison their own.
  { command: '查看月报', ownership: 'own', text: async () => '查看月报 城关镇', allowed: ['org_admin', 'inspector', 'unit_head', 'leader', 'liaison'], effect: 'reads', ok: /城关镇8月月报/ },
  { command: '查看月报', ownership: 'other', text: async () => '查看月报 后港镇', allowed: ['org_admin', 'inspector'], effect: 'reads', ok: /后港镇8月月报/ },
  { command: '时效', ownership: 'own', text: async () => '时效 城关镇', allowed: ['org_admin', 'inspector', 'unit_head', 'leader', 'liaison'], effect: 'reads', ok: /响应时效 · 城关镇/ },
  { command: '时效', ownership: 'other', text: async () => '时效 后港镇', allowed: ['org_admin', 'inspector'], effect: 'reads', ok: /响应时效 · 后港镇/ },
  { command: '时效', ownership: 'none', label: 'the county', text: async () => '时效', allowed: ['org_admin', 'inspector', 'unit_head', 'leader', 'liaison'], effect: 'reads', ok: /响应时效 · (全县|城关镇)/ },
  { command: '督查', ownership: 'none', label: '登记', text: async (s) => `督查 登记\n单位：城关镇\n日期：8月28日\n方式：随机抽查\n发现：授权矩阵督查发现${s.unique()}\n类别：(二)\n整改：是`, allowed: ['org_admin', 'inspector'], effect: 'writes', ok: /已登记督查#\d+/ },
  { command: '督查', ownership: 'none', label: '列表', text: async () => '督查 列表', allowed: ['org_admin', 'inspector'], effect: 'reads', ok: /督查记录/ },
  { command: '督查', ownership: 'none', label: '详情', text: async (s) => `督查 详情 ${await s.inspection()}`, allowed: ['org_admin', 'inspector'], effect: 'reads', ok: /\*\*督查#\d+ 城关镇\*\*/ },
  { command: '督查', ownership: 'none', label: '进度', text: async () => '督查 进度', allowed: ['org_admin', 'inspector'], effect: 'reads', ok: /督查进度/ },
  { command: '督查', ownership: 'none', label: '典型', text: async (s) => `督查 典型 ${await s.inspection()}`, allowed: ['org_admin', 'inspector'], effect: 'writes', ok: /已将督查#\d+ 标记为典型案例/ },
  { command: '名册', ownership: 'none', text: async () => '名册', allowed: ['org_admin'], effect: 'reads', ok: /名册：\d+ 个单位/ },
  { command: '问责', ownership: 'none', label: '列表', text: async () => '问责 列表', allowed: ['org_admin'], effect: 'reads', ok: /问责记录/ },
  { command: '问责', ownership: 'own', label: '详情', text: async (s) => `问责 详情 ${await s.accountability()}`, allowed: ['org_admin'], effect: 'reads', ok: /\*\*问责 #\d+\*\*/ },
  { command: '问责', ownership: 'own', label: '登记', text: async () => '问责 登记\n单位：城关镇\n对象：赵磊\n措施：谈话提醒\n日期：8月28日\n说明：授权矩阵\n通知：是', allowed: ['org_admin'], effect: 'writes', ok: /已登记问责 #\d+/ },
  { command: '举报', ownership: 'none', label: '列表', text: async () => '举报 列表', allowed: ['org_admin', 'inspector'], effect: 'reads', ok: /举报件/ },
  { command: '举报', ownership: 'own', label: '详情', text: async (s) => `举报 详情 ${await s.publicReport('own')}`, allowed: ['org_admin', 'inspector'], effect: 'reads', ok: /\*\*举报 #\d+\*\*/ },
  { command: '举报', ownership: 'other', label: '详情', text: async (s) => `举报 详情 ${await s.publicReport('other')}`, allowed: ['org_admin'], effect: 'reads', ok: /\*\*举报 #\d+\*\*/ },
  {
    command: '举报',
    ownership: 'none',
    label: '登记',
    text: async (s) => `举报 登记\n来源：电话\n受理日期：8月28日\n内容：授权矩阵举报${s.unique()}\n被举报单位：城关镇\n举报人：匿名\n核查人：刘洋\n核查时限：9月10日`,
    allowed: ['org_admin'],
    effect: 'writes',
    ok: /已登记举报 #\d+/,
  },
  { command: '举报', ownership: 'own', label: '核查', text: async (s) => `举报 核查 ${await s.publicReport('own')} 不属实 经查不实`, allowed: ['org_admin', 'inspector'], effect: 'writes', ok: /已核查举报 #\d+/ },
  { command: '举报', ownership: 'other', label: '核查', text: async (s) => `举报 核查 ${await s.publicReport('other')} 不属实 经查不实`, allowed: ['org_admin'], effect: 'writes', ok: /已核查举报 #\d+/ },
  // 佐证 N: those who report on the item open their window (test/evidence.test.ts); a verifier is shown the evidence instead.
  { command: '佐证', ownership: 'own', label: '查看', text: async (s) => `佐证 ${(await s.item('own')).id} 查看`, allowed: ['org_admin', 'inspector', ...RESPONSIBLE], effect: 'reads', ok: /还没有整改佐证/ },
  { command: '佐证', ownership: 'other', label: '(verifier)', text: async (s) => `佐证 ${(await s.item('other')).id}`, allowed: ['org_admin', 'inspector'], effect: 'reads', ok: /还没有整改佐证/ },
  { command: '佐证', ownership: 'none', label: '保留', text: async (s) => `佐证 保留 ${100 + s.unique()}`, allowed: ['org_admin'], effect: 'writes', ok: /销号 \d+ 天后删除/ },
  { command: '名册', ownership: 'own', label: '单位', text: async () => '名册 城关镇', allowed: ['org_admin'], effect: 'reads', ok: /城关镇名册（\d+ 人）/ },
]

/** What refusals say: the command's roles, the item's responsible people, the roster, the invitation. */
const REFUSAL = /只有|只能|不属于您负责的范围|尚未登记在专项治理花名册中|不在会议 #\d+ 的参会名单中|不是本单位人员|不是发给您的/

describe(`the authorization matrix on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let chat: ReturnType<typeof chatAs>
  let fixture: Awaited<ReturnType<typeof seedLedger>>
  let counter = 0
  const personId = async (userid: string) => (await ds.getRepository(PersonSchema).findOneByOrFail({ userid })).id

  /** Every row of every table, as text: the whole database. */
  async function snapshot(): Promise<string> {
    // What a person last looked at (list_page for 更多, person_seen for 待办) is their view, not the campaign's data: reading changes it.
    const tables = ds.entityMetadatas.map((m) => m.tableName).filter((table) => table !== 'list_page' && table !== 'person_seen').sort()
    const parts: string[] = []
    for (const table of tables) parts.push(table, JSON.stringify(await ds.query(`SELECT * FROM ${table} ORDER BY 1`)))
    return parts.join('\n')
  }

  const setup: Setup = {
    unique: () => ++counter,
    item(ownership, status = 'in_progress') {
      const own = ownership === 'own'
      const people = own ? { leader: 'lina', person: 'zhaolei' } : { leader: 'sunli', person: 'wufang' }
      return addLedgerItem(ds, fixture.campaign.id, own ? fixture.chengguan : fixture.hougang, people, { problem: `授权矩阵事项${++counter}`, status, progress: status === 'rectified' ? 100 : 40 })
    },
    async extensionRequest(ownership) {
      const item = await setup.item(ownership)
      const saved = await ds.getRepository(ExtensionRequestSchema).save({
        ledgerItemId: item.id,
        requestedById: item.responsiblePersonId!,
        oldDueDate: item.dueDate,
        newDueDate: '2015-09-30',
        reason: '需等待省厅批复',
        status: 'pending',
        decidedById: null,
        decidedAt: null,
        decisionNote: null,
      })
      return saved.id
    },
    async meeting(invite, startsAt = new Date('2015-09-08T07:00:00Z')) {
      const meeting = await ds.getRepository(MeetingSchema).save({
        campaignId: fixture.campaign.id,
        title: '专项治理工作联席会议',
        startsAt,
        place: '县委第三会议室',
        convenerId: await personId('wangjian'),
        status: 'scheduled',
        minutes: null,
        statusSnapshot: null,
      })
      // Invited: 冯涛-like members are not needed; the invitee (if in the roster) is the only participant.
      const invited = invite === null ? null : await ds.getRepository(PersonSchema).findOneBy({ userid: invite })
      if (invited) await ds.getRepository(AttendanceSchema).insert({ meetingId: meeting.id, personId: invited.id, response: 'pending', reason: null, respondedAt: null })
      return meeting.id
    },
    async circular(recipient) {
      const circular = await ds.getRepository(CircularSchema).save({
        campaignId: fixture.campaign.id,
        kind: 'work',
        title: `授权矩阵通报${++counter}`,
        body: '请于9月5日前报送台账。',
        audience: JSON.stringify({ type: 'all' }),
        sentById: await personId('wangjian'),
        status: 'sent',
        sentAt: NOW,
        recalledAt: null,
      })
      const person = recipient === null ? null : await ds.getRepository(PersonSchema).findOneBy({ userid: recipient })
      if (person) await ds.getRepository(CircularReceiptSchema).insert({ circularId: circular.id, personId: person.id, unitId: person.unitId, outboxMessageId: null, acknowledgedAt: null, remindedAt: null })
      return circular.id
    },
    async publicReport(ownership) {
      const saved = await ds.getRepository(PublicReportSchema).save({
        campaignId: fixture.campaign.id,
        source: 'telephone',
        receivedOn: '2015-08-28',
        content: `授权矩阵举报${++counter}`,
        unitId: fixture.chengguan,
        concernedPerson: null,
        registeredById: await personId('wangjian'),
        assignedToId: await personId(ownership === 'own' ? 'liuyang' : 'wangjian'),
        verifyBy: '2015-09-10',
        status: 'assigned',
        verdict: null,
        verdictNote: null,
        verifiedAt: null,
        inspectionId: null,
      })
      return saved.id
    },
    async leave(userid) {
      await ds.getRepository(PersonLeaveSchema).insert({ personId: await personId(userid), until: '2015-09-10', deputyId: null, endedAt: null })
    },
    async inspection() {
      const saved = await ds.getRepository(InspectionSchema).save({ campaignId: fixture.campaign.id, unitId: fixture.chengguan, inspectorId: await personId('liuyang'), method: 'random_check', inspectedOn: '2015-08-28', findings: `授权矩阵督查${++counter}`, categoryId: null, mustRectify: false, ledgerItemId: null, isTypicalCase: false })
      return saved.id
    },
    async accountability() {
      const saved = await ds.getRepository(AccountabilitySchema).save({
        campaignId: fixture.campaign.id,
        inspectionId: null,
        unitId: fixture.chengguan,
        personId: await personId('zhaolei'),
        measure: 'talk_reminder',
        decidedOn: '2015-08-28',
        note: '授权矩阵问责',
        recordedById: await personId('wangjian'),
        notifiedAt: null,
      })
      return saved.id
    },
  }

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    fixture = await seedLedger(ds)
    await seedMeetingMembers(ds)
    await seedRoster(ds, '城关镇', [{ userid: 'nobody', name: '钱多', roles: [] }])
    chat = chatAs(ds, NOW)
  })
  afterAll(async () => {
    await db?.close()
  })

  it('has a row for every command in the registry, and only for those', () => {
    expect(new Set(MATRIX.map((row) => row.command))).toEqual(new Set(commands.map((command) => command.name)))
    // Every command is tried by each kind of sender; commands about items, own and another unit's.
    for (const row of MATRIX) expect(row.allowed.every((who) => WHO.includes(who))).toBe(true)
  })

  const cases = MATRIX.flatMap((row) => WHO.map((who) => ({ row, who, allowed: row.allowed.includes(who) })))
  it.each(cases.map((c) => [`${c.row.command}${c.row.label ? ` ${c.row.label}` : ''} (${c.row.ownership}) as ${c.who}: ${c.allowed ? 'allowed' : 'refused'}`, c] as const))(
    '%s',
    async (_name, { row, who, allowed }) => {
      const text = await row.text(setup, who)
      const before = await snapshot()
      const { text: reply } = await chat(ACTOR[who], text)
      const after = await snapshot()
      if (allowed) {
        expect(reply).toMatch(row.ok)
        expect(reply).not.toMatch(REFUSAL)
        if (row.effect === 'writes') expect(after).not.toBe(before)
        else expect(after).toBe(before)
      } else {
        expect(reply).toMatch(REFUSAL)
        expect(reply).not.toMatch(row.ok)
        expect(after).toBe(before)
      }
    },
  )
})
