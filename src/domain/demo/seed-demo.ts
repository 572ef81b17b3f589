import type { DataSource, EntityManager } from 'typeorm'
import { addDays, daysBetween, firstDayOfMonth, monthOf, type CalendarDate } from '../../time/calendar-date.js'
import { addCampaignUnit, createCampaign, ensureUnit } from '../campaign/create-campaign.js'
import {
  CampaignSchema,
  LedgerItemSchema,
  MonthlyReportSchema,
  PersonSchema,
  ProblemCategorySchema,
  ProgressUpdateSchema,
  RoleAssignmentSchema,
  type LedgerStatus,
  type Person,
  type Role,
  type UnitKind,
} from '../../db/entities/index.js'
import type { PlanTemplate } from '../plan/plan-template.js'
import { problemKey } from '../../db/problem-key.js'

export interface DemoSummary {
  campaignId: number
  units: number
  people: number
  ledgerItems: number
  /** userids to try chat commands as. */
  sampleUsers: { userid: string; name: string; role: string }[]
}

interface DemoPerson {
  userid: string
  name: string
  title: string
  roles: Role[]
}

interface DemoUnit {
  name: string
  kind: UnitKind
  participant: boolean
  people: DemoPerson[]
}

/** A small county: two towns, two departments, the organization department and one member unit's people. */
const DEMO_UNITS: DemoUnit[] = [
  {
    name: '县委组织部',
    participant: false,
    kind: 'county_department',
    people: [
      { userid: 'wangjian', name: '王健', title: '干部监督科科长', roles: ['org_admin', 'meeting_member'] },
      { userid: 'liuyang', name: '刘洋', title: '专项检查组组长', roles: ['inspector'] },
    ],
  },
  {
    name: '城关镇',
    participant: true,
    kind: 'town',
    people: [
      { userid: 'zhangwei', name: '张伟', title: '党委书记', roles: ['unit_head'] },
      { userid: 'lina', name: '李娜', title: '党委副书记', roles: ['leader'] },
      { userid: 'chenjing', name: '陈静', title: '党政办主任', roles: ['liaison'] },
      { userid: 'zhaolei', name: '赵磊', title: '经济发展办主任', roles: ['staff'] },
    ],
  },
  {
    name: '后港镇',
    participant: true,
    kind: 'town',
    people: [
      { userid: 'sunli', name: '孙丽', title: '党委书记', roles: ['unit_head'] },
      { userid: 'zhouqiang', name: '周强', title: '纪委书记', roles: ['leader'] },
      { userid: 'wufang', name: '吴芳', title: '组织委员', roles: ['liaison', 'staff'] },
    ],
  },
  {
    name: '县住建局',
    participant: true,
    kind: 'county_department',
    people: [
      { userid: 'zhengtao', name: '郑涛', title: '党组书记、局长', roles: ['unit_head'] },
      { userid: 'fengmin', name: '冯敏', title: '副局长', roles: ['leader'] },
      { userid: 'hejun', name: '何军', title: '办公室主任', roles: ['liaison', 'staff'] },
    ],
  },
  {
    name: '县政务服务中心',
    participant: true,
    kind: 'institution',
    people: [
      { userid: 'gaoyan', name: '高燕', title: '党组书记、主任', roles: ['unit_head'] },
      { userid: 'luoping', name: '罗平', title: '窗口科科长', roles: ['leader', 'liaison', 'staff'] },
    ],
  },
  {
    name: '县纪委(监察局)',
    participant: false,
    kind: 'county_department',
    people: [{ userid: 'xumin', name: '徐敏', title: '党风政风监督室主任', roles: ['meeting_member'] }],
  },
]

interface DemoItem {
  unit: string
  category: number
  problem: string
  measures: string
  target: string
  /** Days from today (negative: overdue). */
  dueInDays: number
  leader: string
  person: string
  status: LedgerStatus
  progress: number
}

const DEMO_ITEMS: DemoItem[] = [
  { unit: '城关镇', category: 1, problem: '招商引资项目跑办不积极，两个竞争性项目未按时申报', measures: '成立项目专班，倒排申报时间表，每周调度', target: '两个项目完成申报', dueInDays: -6, leader: 'lina', person: 'zhaolei', status: 'in_progress', progress: 40 },
  { unit: '城关镇', category: 6, problem: '便民服务大厅办事群众反映“多头跑”', measures: '推行一次性告知和首问负责制', target: '群众办事一次办结率达到90%', dueInDays: 2, leader: 'lina', person: 'chenjing', status: 'in_progress', progress: 70 },
  { unit: '城关镇', category: 3, problem: '部分干部上班时间玩手机、迟到早退', measures: '严格考勤，开展作风纪律明察暗访', target: '考勤制度执行到位', dueInDays: 20, leader: 'lina', person: 'zhaolei', status: 'open', progress: 0 },
  { unit: '后港镇', category: 2, problem: '农村人居环境整治推进缓慢，工作拖延应付', measures: '分片包干，责任到村，每月通报进度', target: '年底前完成全部村庄整治', dueInDays: -2, leader: 'zhouqiang', person: 'wufang', status: 'open', progress: 10 },
  { unit: '后港镇', category: 4, problem: '信访件转办后推诿扯皮，久拖不决', measures: '建立信访件首办责任制和限时办结制', target: '积案全部化解', dueInDays: 1, leader: 'zhouqiang', person: 'wufang', status: 'in_progress', progress: 50 },
  { unit: '县住建局', category: 5, problem: '工程质量监督检查走过场', measures: '完善检查清单，实行检查结果签字背书', target: '在建项目检查全覆盖', dueInDays: 10, leader: 'fengmin', person: 'hejun', status: 'rectified', progress: 100 },
  { unit: '县住建局', category: 7, problem: '老旧小区改造遇到阻力不敢拍板', measures: '召开专题会议，明确决策时限', target: '三个小区开工', dueInDays: -12, leader: 'fengmin', person: 'hejun', status: 'in_progress', progress: 30 },
  { unit: '县政务服务中心', category: 6, problem: '窗口服务语气生硬，群众满意度低', measures: '开展文明服务培训，推行好差评', target: '满意度达到95%以上', dueInDays: 5, leader: 'luoping', person: 'luoping', status: 'closed', progress: 100 },
  { unit: '县政务服务中心', category: 8, problem: '审批流程按部就班，未推行网上办理', measures: '梳理事项清单，推动“一网通办”', target: '80%事项可网上办理', dueInDays: 25, leader: 'luoping', person: 'luoping', status: 'open', progress: 0 },
]

/**
 * Seeds a demo campaign starting this month, with towns and departments, their leaders and
 * sample ledger items (some due soon, some overdue), so that a fresh `npm start` has
 * something to show. Only called on an empty database; one transaction.
 */
export async function seedDemo(dataSource: DataSource, plan: PlanTemplate, today: CalendarDate): Promise<DemoSummary> {
  const start = demoCampaignStart(today)
  return dataSource.transaction(async (manager) => {
    const { campaign } = await createCampaign(manager, plan, start)
    const people = new Map<string, Person>()
    for (const demoUnit of DEMO_UNITS) {
      const unit = await ensureUnit(manager, demoUnit.name, demoUnit.kind)
      // Towns, departments and institutions keep ledgers; the member units and 组织部 are in the campaign already.
      if (demoUnit.participant) await addCampaignUnit(manager, campaign.id, unit.id, 'participant')
      for (const demoPerson of demoUnit.people) {
        const person = await manager.save(PersonSchema, {
          userid: demoPerson.userid,
          name: demoPerson.name,
          title: demoPerson.title,
          unitId: unit.id,
          mobile: null,
          viaWechat: false,
          active: true,
        })
        people.set(person.userid, person)
        // 组织部 and the inspection group act county-wide; every other role is the unit's.
        await manager.insert(
          RoleAssignmentSchema,
          demoPerson.roles.map((role) => ({
            personId: person.id,
            role,
            unitId: role === 'org_admin' || role === 'inspector' ? null : unit.id,
          })),
        )
      }
    }
    const items = await seedItems(manager, campaign.id, start, today, people)
    await manager.insert(MonthlyReportSchema, {
      campaignId: campaign.id,
      unitId: people.get('chenjing')!.unitId!,
      month: monthOf(today),
      content: '本月召开专项治理推进会1次，查摆问题3个，已整改1个，其余按台账推进。',
      submittedById: people.get('chenjing')!.id,
      submittedAt: new Date(),
      revision: 1,
    })
    return {
      campaignId: campaign.id,
      units: DEMO_UNITS.filter((u) => u.participant).length,
      people: people.size,
      ledgerItems: items,
      sampleUsers: [
        { userid: 'zhaolei', name: '赵磊', role: '城关镇具体责任人' },
        { userid: 'zhangwei', name: '张伟', role: '城关镇第一责任人' },
        { userid: 'wangjian', name: '王健', role: '组织部干部监督科' },
      ],
    }
  })
}

async function seedItems(
  manager: EntityManager,
  campaignId: number,
  start: CalendarDate,
  today: CalendarDate,
  people: Map<string, Person>,
): Promise<number> {
  const categories = await manager.findBy(ProblemCategorySchema, { campaignId })
  for (const demo of DEMO_ITEMS) {
    const person = people.get(demo.person)!
    const byNumber = categories.find((c) => c.number === demo.category)!
    // Never due before the campaign started, even on the first days of a month.
    const due = [addDays(today, demo.dueInDays), start].sort().at(-1)!
    const item = await manager.save(LedgerItemSchema, {
      campaignId,
      unitId: person.unitId!,
      categoryId: byNumber.id,
      problem: demo.problem,
      problemKey: problemKey(demo.problem),
      measures: demo.measures,
      target: demo.target,
      dueDate: due,
      originalDueDate: due,
      responsibleDepartment: null,
      responsibleLeaderId: people.get(demo.leader)!.id,
      responsiblePersonId: person.id,
      status: demo.status,
      progress: demo.progress,
      isPublic: true,
      isTypicalCase: false,
      rectifiedAt: demo.status === 'rectified' || demo.status === 'closed' ? new Date() : null,
      closedAt: demo.status === 'closed' ? new Date() : null,
    })
    await manager.insert(ProgressUpdateSchema, {
      ledgerItemId: item.id,
      personId: person.id,
      kind: 'created',
      oldStatus: null,
      newStatus: demo.status,
      oldProgress: null,
      newProgress: demo.progress,
      note: '登记台账（演示数据）',
    })
  }
  return DEMO_ITEMS.length
}

/**
 * The first day of this month, except in a month's first days: a campaign started today or
 * yesterday could have nothing overdue yet, and the demo is there to show overdue items, so it
 * starts on the first of the previous month instead.
 */
export function demoCampaignStart(today: CalendarDate): CalendarDate {
  const first = firstDayOfMonth(today)
  return daysBetween(first, today) < 3 ? firstDayOfMonth(addDays(first, -1)) : first
}

/** Empty means: no campaign and nobody in the roster. */
export async function isDatabaseEmpty(dataSource: DataSource): Promise<boolean> {
  const [campaigns, people] = await Promise.all([
    dataSource.getRepository(CampaignSchema).count(),
    dataSource.getRepository(PersonSchema).count(),
  ])
  return campaigns === 0 && people === 0
}
