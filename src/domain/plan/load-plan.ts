import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { DEFAULT_PLAN } from '../../config/load-config.js'
import { StartupError } from '../../errors.js'
import type { PlanTemplate } from './plan-template.js'
import { validatePlan } from './validate-plan.js'

/** Re-exported for callers that load the default plan; defined in config, which the domain sits above. */
export { DEFAULT_PLAN }

const PLANS_DIR = fileURLToPath(new URL('./builtin/', import.meta.url))

/**
 * Loads a plan by built-in name (a file in src/domain/plan/builtin/) or by path to a JSON file, and
 * validates it; any problem stops with a StartupError listing all of them.
 */
export function loadPlan(nameOrPath: string = DEFAULT_PLAN): PlanTemplate {
  const builtin = `${PLANS_DIR}${nameOrPath}.json`
  const path = /^[a-z0-9-]+$/.test(nameOrPath) && existsSync(builtin) ? builtin : nameOrPath
  if (!existsSync(path)) {
    throw new StartupError('plan_not_found', `找不到计划「${nameOrPath}」：应为内置计划名（${DEFAULT_PLAN}）或 JSON 文件路径。`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new StartupError('plan_invalid', `计划文件 ${path} 不是有效的 JSON：${(error as Error).message}`)
  }
  const problems = validatePlan(parsed)
  if (problems.length > 0) {
    throw new StartupError(
      'plan_invalid',
      `计划文件 ${path} 有误：\n${problems.map((p) => `  - ${p}`).join('\n')}\n请修改该文件后重试。`,
    )
  }
  return parsed as PlanTemplate
}
