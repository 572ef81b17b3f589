import type { DataSource } from 'typeorm'
import { CampaignSchema, PersonSchema, type LedgerItem } from '../../db/entities/index.js'
import { findOneForUpdate } from '../../db/row-lock.js'
import { RefusalError } from '../../errors.js'
import { evidenceCount, type EvidenceCount } from '../../read-model/evidence.js'
import { itemOrFail } from '../ledger/item-lifecycle.js'
import { canSeeItem, canUpdateItem, isVerifier, UPDATE_DENIED, type Actor } from '../ledger/ledger-access.js'
import { openEvidenceWindow } from './attach-evidence.js'

/** What 佐证 N does for this person (docs/evidence.md): send evidence for the item, or see it. */
export async function evidenceAction(ds: DataSource, actor: Actor, id: number, asked: 'attach' | 'show'): Promise<{ item: LedgerItem; action: 'attach' | 'show' }> {
  // The person first, as a media message does: what they send meanwhile waits for this.
  await findOneForUpdate(ds.manager, PersonSchema, { id: actor.person.id })
  const item = await itemOrFail(ds, id)
  if (asked === 'show' || (!canUpdateItem(actor, item) && isVerifier(actor))) {
    if (!canSeeItem(actor, item)) throw new RefusalError('denied', `#${item.id} 不属于您负责的范围。`)
    return { item, action: 'show' }
  }
  // Refused for what was said (not 'denied'): a question's answer with a wrong number can be corrected.
  if (!canUpdateItem(actor, item)) throw new RefusalError('not_updatable', `#${item.id}：${UPDATE_DENIED}请回复您负责的事项编号。`)
  if (item.status === 'closed') throw new RefusalError('closed', `#${item.id} 已销号，不再接收整改佐证。`)
  return { item, action: 'attach' }
}

/** 佐证 N by whoever reports on N: the window opened, what waited attached; with the item's evidence now. */
export async function beginEvidence(ds: DataSource, actor: Actor, item: LedgerItem, now: Date): Promise<{ attached: EvidenceCount; had: EvidenceCount }> {
  const attached = await openEvidenceWindow(ds, actor.person.id, item.id, now)
  return { attached, had: await evidenceCount(ds, item.id) }
}

/** 佐证 要求 and 佐证 保留: the campaign's evidence rules (docs/evidence.md, Rules). */
export async function setEvidenceRules(ds: DataSource, campaignId: number, rules: { requireEvidence: boolean } | { evidenceRetentionDays: number | null }): Promise<void> {
  await ds.getRepository(CampaignSchema).update({ id: campaignId }, rules)
}
