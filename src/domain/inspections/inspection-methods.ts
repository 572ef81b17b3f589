import type { InspectionMethod } from '../../db/entities/inspection.js'

/** The methods as the plan names them (docs/inspections.md, Findings), in the order lists show them. */
export const METHOD_NAMES: Readonly<Record<InspectionMethod, string>> = {
  full_check: '全面检查',
  random_check: '随机抽查',
  key_check: '重点检查',
  unannounced: '明察暗访',
  complaint: '举报核查',
}

export const METHODS = Object.keys(METHOD_NAMES) as InspectionMethod[]

/** A method by its Chinese name ("随机抽查", also "抽查", "暗访", "全面督查"); undefined when none fits. */
export function methodByName(typed: string): InspectionMethod | undefined {
  const text = typed.normalize('NFKC').trim()
  const exact = METHODS.find((m) => METHOD_NAMES[m] === text)
  if (exact) return exact
  const aliases: Record<string, InspectionMethod> = { 全面督查: 'full_check', 全面: 'full_check', 抽查: 'random_check', 随机: 'random_check', 重点: 'key_check', 暗访: 'unannounced', 明查暗访: 'unannounced', 举报: 'complaint' }
  return aliases[text]
}
