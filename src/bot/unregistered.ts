import type { DataSource } from 'typeorm'
import { rosterContact } from '../domain/roster/org-admins.js'
import { text } from '../wecom/messages.js'
import type { DispatchResult, DispatcherContext } from './dispatcher-context.js'

/** A sender not in the roster: whom to ask to be registered. */
export async function unregistered(context: DispatcherContext, db: DataSource, from: string): Promise<DispatchResult> {
  const who = await rosterContact(db)
  context.metrics.command('none', 'unregistered')
  return {
    reply: text(`您的企业微信账号（${from}）尚未登记在专项治理花名册中，暂时不能使用命令。请联系${who}登记。`),
    status: 'unregistered',
    outcome: 'unregistered',
  }
}

