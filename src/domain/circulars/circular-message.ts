import { inertLines, inertText } from '../../wecom/inert-text.js'
import type { Circular } from '../../db/entities/index.js'

/** 【通报】 or 【典型案例通报】: the label a recipient reads first. */
export const kindLabel = (kind: Circular['kind']) => (kind === 'typical_case' ? '典型案例通报' : '通报')

/**
 * What each recipient reads (markdown; WeChat-plugin users get its plain-text rendering). The
 * group robot's copy has no acknowledgement line: a group cannot reply 收到 on a member's behalf.
 */
export function circularContent(circular: Pick<Circular, 'id' | 'kind' | 'title' | 'body'>, from: string, forRobot = false): string {
  const lines = [`**【${kindLabel(circular.kind)}】${inertText(circular.title)}**`, inertLines(circular.body), `——${inertText(from)}`]
  if (!forRobot) lines.push(`> 阅后请回复「收到 ${circular.id}」`)
  return lines.join('\n')
}
