import { defineCommand } from '../src/bot/define-command.js'
import { parseItemNumber } from '../src/bot/parse-args.js'
import { runningCampaignOrSay } from '../src/bot/running-campaign.js'
import { WINDOW_MINUTES } from '../src/domain/evidence/attach-evidence.js'
import { beginEvidence, evidenceAction, setEvidenceRules } from '../src/domain/evidence/evidence-commands.js'
import { sendEvidenceBack } from '../src/domain/evidence/show-evidence.js'
import { RefusalError, UserFacingError } from '../src/errors.js'
import { quoteTyped } from '../src/domain/text/text-limits.js'
import { evidenceLine, evidenceTotal, itemEvidence, mediaPhrase } from '../src/read-model/evidence.js'
import { beijingDate } from '../src/time/calendar-date.js'

type Parsed =
  | { verb: 'attach' | 'show'; id: number }
  | { verb: 'require'; on: boolean }
  | { verb: 'retention'; days: number | null }

/** The longest retention 组织部 can set: ten years. */
const MAX_RETENTION_DAYS = 3650

/**
 * 佐证 (docs/evidence.md): `佐证 12` — whoever reports on #12 sends its photos, voice notes,
 * videos or locations in the next 30 minutes (and what they sent before naming an item is
 * attached now); a verifier is sent the item's evidence back. `佐证 12 查看` sends it back to
 * anyone who may see the item. 组织部 sets the campaign's rules: 要求 (evidence before 完成 and
 * 销号) and 保留 (days kept after 销号).
 */
export const evidence = defineCommand<Parsed>({
  name: '佐证',
  aliases: ['evidence', 'zz'],
  summary: '提交或查看整改佐证（照片、语音、视频、位置）',
  usage: '佐证 编号 [查看]',
  example: '佐证 12',
  roles: 'everyone',
  verbs: [
    { usage: '佐证 编号', example: '佐证 12' },
    { usage: '佐证 编号 查看', example: '佐证 12 查看' },
    { usage: '佐证 要求 开启|关闭', example: '佐证 要求 开启', roles: ['org_admin'] },
    { usage: '佐证 保留 天数|长期', example: '佐证 保留 180', roles: ['org_admin'] },
  ],
  parse(args) {
    const [first, second, ...rest] = args.tokens
    if (first === '要求') {
      if (rest.length > 0 || (second !== '开启' && second !== '关闭')) throw new UserFacingError('bad_switch', '请写「开启」或「关闭」。')
      return { verb: 'require', on: second === '开启' }
    }
    if (first === '保留') {
      if (rest.length > 0 || second === undefined) throw new UserFacingError('bad_days', '请写销号后保留佐证的天数（1–3650），或「长期」。')
      if (second === '长期') return { verb: 'retention', days: null }
      const days = /^\d{1,4}$/.test(second) ? Number(second) : Number.NaN
      if (!(days >= 1 && days <= MAX_RETENTION_DAYS)) throw new UserFacingError('bad_days', `「${quoteTyped(second, 10)}」不是有效的天数：应为 1–${MAX_RETENTION_DAYS} 的整数，或「长期」。`)
      return { verb: 'retention', days }
    }
    const id = parseItemNumber(first)
    if (second !== undefined && (second !== '查看' || rest.length > 0)) throw new UserFacingError('extra_words', `编号后只能写「查看」，收到「${quoteTyped(args.rest(1))}」。`)
    return { verb: second === '查看' ? 'show' : 'attach', id }
  },
  async run(context, parsed) {
    const { dataSource, actor } = context
    const now = context.now()
    if (parsed.verb === 'require' || parsed.verb === 'retention') {
      if (!actor.roles.includes('org_admin')) throw new RefusalError('denied', '只有组织部可以设置佐证规则。')
      const campaign = await runningCampaignOrSay(context, beijingDate(now))
      if (!campaign) return
      if (parsed.verb === 'require') {
        await setEvidenceRules(dataSource, campaign.id, { requireEvidence: parsed.on })
        context.reply(parsed.on ? '已开启：报告「完成」和「销号」前，事项须至少有一项整改佐证（照片、语音、视频或位置）。' : '已关闭：「完成」和「销号」不再要求整改佐证。')
        return
      }
      await setEvidenceRules(dataSource, campaign.id, { evidenceRetentionDays: parsed.days })
      context.reply(parsed.days === null ? '已设为长期保留整改佐证。' : `已设置：事项销号 ${parsed.days} 天后删除其整改佐证（位置记录一并删除）。`)
      return
    }
    const { item, action } = await evidenceAction(dataSource, actor, parsed.id, parsed.verb)
    if (action === 'show') {
      const all = await itemEvidence(dataSource, item.id)
      context.reply(await sendEvidenceBack(dataSource, actor.person, item.id, all, now, context.links?.item(item.id) ?? null))
      return
    }
    const { attached, had } = await beginEvidence(dataSource, actor, item, now)
    const lines = evidenceTotal(attached) > 0 ? [`已将${mediaPhrase(attached)}附在 #${item.id} 作为整改佐证。`] : []
    lines.push(`${WINDOW_MINUTES} 分钟内发送的照片、语音、视频或位置都将附在 #${item.id}。`)
    if (evidenceTotal(had) > 0) lines.push(`#${item.id} 现有${evidenceLine(had, beijingDate(now)).replace('：', '')}。`)
    context.reply(lines.join('\n'))
  },
})
