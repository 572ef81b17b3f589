import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_PLAN, loadPlan } from '../src/domain/plan/load-plan.js'
import { validatePlan } from '../src/domain/plan/validate-plan.js'
import { DEFAULT_FULL_CHECK_TASKS, inspectionSettings } from '../src/domain/plan/campaign-plan.js'
import { DEFAULT_INSPECTIONS } from '../src/domain/plan/plan-template.js'
import { StartupError } from '../src/errors.js'

describe('the built-in plan', () => {
  const plan = loadPlan(DEFAULT_PLAN)

  it('holds the four phases of the original document with their windows', () => {
    expect(plan.phases.map((p) => [p.code, p.name, p.start, p.end])).toEqual([
      ['mobilize', '宣传动员', '2015-07-01', '2015-07-31'],
      ['self_check', '自查整改', '2015-08-01', '2015-08-31'],
      ['inspect', '监督检查', '2015-08-01', '2015-12-31'],
      ['institutionalize', '建章立制', '2015-12-01', '2015-12-31'],
    ])
    expect(plan.phases[0]!.tasks.map((t) => [t.code, t.due])).toEqual([['work_plan', '2015-07-31']])
    expect(plan.phases[1]!.tasks.find((t) => t.code === 'ledger')?.due).toBe('2015-08-31')
  })

  it('holds the eight problem categories and the joint meeting', () => {
    expect(plan.categories.map((c) => `${c.label}${c.name}`)).toEqual([
      '(一)促进发展不敢为',
      '(二)履行职责不担当',
      '(三)工作态度不积极',
      '(四)推诿扯皮不主动',
      '(五)降低标准不尽责',
      '(六)服务群众不热心',
      '(七)缺乏激情不进取',
      '(八)因循守旧不敢闯',
    ])
    expect(plan.jointMeeting.convener).toBe('县委组织部')
    expect(plan.jointMeeting.members).toHaveLength(6)
    expect(plan.monthlyReport.recipient).toContain('干部监督科')
  })
})

describe('validatePlan', () => {
  const valid = loadPlan(DEFAULT_PLAN)
  const clone = () => structuredClone(valid)

  it('accepts the built-in plan', () => {
    expect(validatePlan(valid)).toEqual([])
  })

  it('names a phase that ends before it starts', () => {
    const plan = clone()
    plan.phases[1]!.end = '2015-07-15'
    plan.phases[1]!.tasks = []
    expect(validatePlan(plan)).toEqual(['第 2 个阶段「自查整改」的结束日期 2015-07-15 早于开始日期 2015-08-01'])
  })

  it('names every other problem too', () => {
    const plan = clone()
    plan.phases[0]!.tasks[0]!.due = '2015-09-01'
    plan.phases[2]!.code = 'mobilize'
    plan.categories[1]!.number = 1
    plan.referenceStart = '2015-7-1'
    const problems = validatePlan(plan)
    expect(problems).toHaveLength(4)
    expect(problems.join('\n')).toContain('不在阶段时间')
    expect(problems.join('\n')).toContain('重复')
    expect(problems.join('\n')).toContain('referenceStart')
  })

  it('names missing or over-long fields that the campaign tables need', () => {
    const plan = clone() as unknown as Record<string, unknown> & typeof valid
    delete (plan as { monthlyReport?: unknown }).monthlyReport
    plan.phases[0]!.tasks[0]!.name = ''
    plan.categories[0]!.name = '很'.repeat(51)
    plan.jointMeeting.members.push('')
    const problems = validatePlan(plan)
    expect(problems).toEqual([
      '第 1 个阶段「宣传动员」的任务「」的名称不能为空',
      `问题类别 1 的名称「${'很'.repeat(20)}…」超过 50 个字`,
      'monthlyReport 应包含 name（月报名称）、due: "month_end" 和 recipient（报送单位）',
      'jointMeeting 的单位名称不能为空',
    ])
  })

  it('stops loading with a StartupError that lists the problems and the file', () => {
    const plan = clone()
    plan.phases[3]!.start = '2016-01-05'
    const file = join(mkdtempSync(join(tmpdir(), 'plan-')), 'bad-plan.json')
    writeFileSync(file, JSON.stringify(plan))
    expect(() => loadPlan(file)).toThrow(StartupError)
    expect(() => loadPlan(file)).toThrow(/bad-plan\.json 有误[\s\S]*建章立制」的结束日期 2015-12-31 早于开始日期 2016-01-05/)
    expect(() => loadPlan('no-such-plan')).toThrow(/找不到计划「no-such-plan」/)
  })
})

describe('the plan’s inspection settings (docs/inspections.md)', () => {
  const valid = loadPlan(DEFAULT_PLAN)

  it('the built-in plan: 15 working days to rectify a finding, the subordinates’ full check done by a 全面检查', () => {
    expect(valid.inspections).toEqual({ rectifyWorkdays: 15 })
    expect(valid.phases.flatMap((p) => p.tasks).filter((t) => t.doneBy).map((t) => [t.code, t.name, t.doneBy])).toEqual([['subordinate_inspection', '对所辖单位自查整改情况进行全面检查', 'full_check']])
    expect(inspectionSettings({ planName: valid.name, planVersion: valid.version })).toEqual({ rectifyWorkdays: 15, fullCheckTasks: ['subordinate_inspection'] })
  })

  it('a campaign whose plan is not a built-in one gets the documented defaults', () => {
    expect(inspectionSettings({ planName: 'county-own-plan', planVersion: '1' })).toEqual({ rectifyWorkdays: DEFAULT_INSPECTIONS.rectifyWorkdays, fullCheckTasks: DEFAULT_FULL_CHECK_TASKS })
  })

  it('accepts a plan without them, and names a bad setting or doneBy', () => {
    const plan = structuredClone(valid)
    delete plan.inspections
    delete plan.phases[2]!.tasks[0]!.doneBy
    expect(validatePlan(plan)).toEqual([])
    plan.inspections = { rectifyWorkdays: 0 }
    ;(plan.phases[0]!.tasks[0] as { doneBy?: string }).doneBy = 'submission'
    expect(validatePlan(plan)).toEqual([
      '第 1 个阶段「宣传动员」的任务「制定工作计划、开展动员部署」的 doneBy 只能为 "full_check"（全面检查即算完成），或不写',
      'inspections.rectifyWorkdays（督查发现问题的默认整改工作日数）应为 1–250 的整数，或不写（默认 15）',
    ])
    plan.inspections = null as never
    expect(validatePlan(plan)).toContain('inspections.rectifyWorkdays（督查发现问题的默认整改工作日数）应为 1–250 的整数，或不写（默认 15）')
  })
})
