import { isCalendarDate } from '../../time/calendar-date.js'
import { PHASE_CODES } from '../../db/entities/phase.js'
import { DEFAULT_INSPECTIONS, type PlanInspections, type PlanTemplate } from './plan-template.js'

/**
 * Checks a parsed plan file and returns every problem found, in Chinese, each naming the
 * place in the file; an empty list means the plan is usable.
 */
export function validatePlan(plan: unknown): string[] {
  const problems: string[] = []
  if (typeof plan !== 'object' || plan === null) return ['计划文件应为 JSON 对象']
  const p = plan as Partial<PlanTemplate>
  /** A required text that must fit its database column. */
  const textOk = (value: unknown, where: string, max: number) => {
    if (typeof value !== 'string' || value.trim() === '') problems.push(`${where}不能为空`)
    else if ([...value].length > max) problems.push(`${where}「${value.slice(0, 20)}…」超过 ${max} 个字`)
  }
  textOk(p.name, 'name（计划名）', 100)
  textOk(p.version, 'version（版本）', 40)
  textOk(p.title, 'title（标题）', 150)
  const dateOk = (value: unknown, where: string): value is string => {
    if (typeof value === 'string' && isCalendarDate(value)) return true
    problems.push(`${where}「${String(value)}」不是有效日期，应为 YYYY-MM-DD`)
    return false
  }
  const windowOk = dateOk(p.referenceStart, 'referenceStart') && dateOk(p.referenceEnd, 'referenceEnd')
  if (windowOk && p.referenceEnd! < p.referenceStart!) {
    problems.push(`整个专项治理的结束日期 ${p.referenceEnd} 早于开始日期 ${p.referenceStart}`)
  }
  if (!Array.isArray(p.phases) || p.phases.length === 0) problems.push('phases 应至少包含一个阶段')
  const seenPhases = new Set<string>()
  for (const [index, phase] of (Array.isArray(p.phases) ? p.phases : []).entries()) {
    const where = `第 ${index + 1} 个阶段「${phase?.name ?? phase?.code ?? '?'}」`
    if (!PHASE_CODES.includes(phase?.code)) problems.push(`${where}的 code 应为 ${PHASE_CODES.join('、')} 之一`)
    textOk(phase?.name, `${where}的名称`, 50)
    if (typeof phase?.description !== 'string') problems.push(`${where}缺少 description（说明）`)
    if (!Array.isArray(phase?.tasks)) problems.push(`${where}缺少 tasks（阶段任务，可为空列表）`)
    if (seenPhases.has(phase?.code)) problems.push(`${where}的 code「${phase.code}」重复`)
    seenPhases.add(phase?.code)
    const startOk = dateOk(phase?.start, `${where}的开始日期`)
    const endOk = dateOk(phase?.end, `${where}的结束日期`)
    if (startOk && endOk && phase.end < phase.start) {
      problems.push(`${where}的结束日期 ${phase.end} 早于开始日期 ${phase.start}`)
    }
    if (windowOk && startOk && endOk && (phase.start < p.referenceStart! || phase.end > p.referenceEnd!)) {
      problems.push(`${where}超出专项治理时间 ${p.referenceStart}—${p.referenceEnd}`)
    }
    const seenTasks = new Set<string>()
    for (const task of Array.isArray(phase?.tasks) ? phase.tasks : []) {
      const taskWhere = `${where}的任务「${task?.name ?? task?.code ?? '?'}」`
      if (typeof task?.code !== 'string' || !/^[a-z0-9_]{1,64}$/.test(task.code)) problems.push(`${taskWhere}的 code 应为 1–64 位小写字母、数字或下划线`)
      else if (seenTasks.has(task.code)) problems.push(`${taskWhere}的 code「${task.code}」重复`)
      textOk(task?.name, `${taskWhere}的名称`, 200)
      if (typeof task?.description !== 'string') problems.push(`${taskWhere}缺少 description（说明）`)
      seenTasks.add(task?.code)
      if (task?.doneBy !== undefined && task.doneBy !== 'full_check') problems.push(`${taskWhere}的 doneBy 只能为 "full_check"（全面检查即算完成），或不写`)
      if (dateOk(task?.due, `${taskWhere}的截止日期`) && startOk && endOk && (task.due < phase.start || task.due > phase.end)) {
        problems.push(`${taskWhere}的截止日期 ${task.due} 不在阶段时间 ${phase.start}—${phase.end} 内`)
      }
    }
  }
  const categories = Array.isArray(p.categories) ? p.categories : []
  if (categories.length === 0) problems.push('categories 应列出问题类别')
  const numbers = new Set<number>()
  for (const category of categories) {
    if (!Number.isInteger(category?.number) || category.number < 1) {
      problems.push(`问题类别「${category?.name ?? '?'}」的 number 应为正整数`)
    } else if (numbers.has(category.number)) {
      problems.push(`问题类别编号 ${category.number} 重复`)
    }
    numbers.add(category?.number)
    textOk(category?.label, `问题类别 ${category?.number ?? '?'} 的 label（如 (一)）`, 10)
    textOk(category?.name, `问题类别 ${category?.number ?? '?'} 的名称`, 50)
    if (typeof category?.description !== 'string') problems.push(`问题类别 ${category?.number ?? '?'} 缺少 description（说明）`)
  }
  if (p.monthlyReport?.due !== 'month_end' || typeof p.monthlyReport?.recipient !== 'string' || typeof p.monthlyReport?.name !== 'string') {
    problems.push('monthlyReport 应包含 name（月报名称）、due: "month_end" 和 recipient（报送单位）')
  }
  if (p.inspections !== undefined) {
    const days = (p.inspections as Partial<PlanInspections> | null)?.rectifyWorkdays
    if (!Number.isInteger(days) || days! < 1 || days! > 250) problems.push(`inspections.rectifyWorkdays（督查发现问题的默认整改工作日数）应为 1–250 的整数，或不写（默认 ${DEFAULT_INSPECTIONS.rectifyWorkdays}）`)
  }
  const meeting = p.jointMeeting
  if (!meeting || typeof meeting.convener !== 'string' || !Array.isArray(meeting.members) || meeting.members.length === 0) {
    problems.push('jointMeeting 应包含 convener（召集单位）和 members（成员单位）')
  } else {
    for (const unit of [meeting.convener, ...meeting.members]) textOk(unit, 'jointMeeting 的单位名称', 100)
  }
  return problems
}
