import { inertText } from '../src/wecom/inert-text.js'
import { defineCommand } from '../src/bot/define-command.js'
import { replyList } from '../src/bot/reply-list.js'
import { runningCampaignOrSay } from '../src/bot/running-campaign.js'
import { itemLine } from '../src/domain/ledger/format-item.js'
import { isVerifier, unitsActedFor } from '../src/domain/ledger/ledger-access.js'
import { unitByNameOrRefuse } from '../src/domain/roster/find-unit.js'
import { RefusalError } from '../src/errors.js'
import { personOpenItems, unitOpenItems } from '../src/read-model/ledger-lists.js'
import { beijingDate } from '../src/time/calendar-date.js'

/** 我的: the open ledger items this person answers for, most urgent first. */
export const myItems = defineCommand<{ unit: string }>({
  name: '我的',
  aliases: ['台账', 'list', 'ls'],
  summary: '我负责的未销号事项',
  usage: '我的 [单位]',
  example: '我的',
  roles: 'everyone',
  featured: 1,
  parse: (args) => ({ unit: args.rest(0) }),
  async run(context, { unit }) {
    const { dataSource, actor } = context
    const today = beijingDate(context.now())
    const campaign = await runningCampaignOrSay(context, today)
    if (!campaign) return
    let title = '我的台账'
    let items
    if (unit) {
      const found = await unitByNameOrRefuse(dataSource, unit)
      if (!isVerifier(actor) && !unitsActedFor(actor).includes(found.id)) {
        throw new RefusalError('denied', `只能查看本单位的台账；查看其他单位需组织部或专项检查组权限。`)
      }
      title = `${inertText(found.name)}台账`
      items = await unitOpenItems(dataSource, campaign.id, found.id, today)
    } else {
      items = await personOpenItems(dataSource, campaign.id, actor.person.id, unitsActedFor(actor), today)
    }
    await replyList(context, '我的', {
      title: `**${title}（${items.length} 项）**`,
      lines: items.map((item) => itemLine(item, today)),
      footer: '反馈进度：进度 编号 百分比 说明',
      empty: unit ? `${title}：没有未销号的事项。` : '您目前没有未销号的台账事项。',
    })
  },
})
