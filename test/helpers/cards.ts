import type { DataSource } from 'typeorm'
import { createDeliveryWorker } from '../../src/delivery/delivery-worker.js'
import { createWeComTransport } from '../../src/delivery/wecom-transport.js'
import { OutboxMessageSchema, type OutboxMessage } from '../../src/db/entities/index.js'
import { createLogger } from '../../src/logger.js'
import type { CardUpdatePayload } from '../../src/outbox/card-update.js'
import type { CardMessage } from '../../src/wecom/messages.js'
import type { TemplateCard } from '../../src/wecom/template-card.js'
import { createWeComClient } from '../../src/wecom/wecom-client.js'
import type { FakeWeCom } from '../fakes/fake-wecom-server.js'

/** Reading the cards and card updates in the outbox (docs/cards.md). */
export function storedCards(ds: () => DataSource) {
  /** The newest card row (with a task id) that went to this member and satisfies `where`. */
  async function cardTo(userid: string, where: (row: OutboxMessage, card: TemplateCard) => boolean = () => true): Promise<{ row: OutboxMessage; card: TemplateCard; taskId: string }> {
    const rows = await ds().getRepository(OutboxMessageSchema).find({ where: { msgType: 'template_card' }, order: { id: 'DESC' } })
    for (const row of rows) {
      const card = (JSON.parse(row.payload) as CardMessage).template_card
      if ((JSON.parse(row.recipients) as { touser: string[] }).touser.includes(userid) && row.taskId && where(row, card)) return { row, card, taskId: row.taskId }
    }
    throw new Error(`no card to ${userid}`)
  }

  /** The card_update rows of a card, oldest first. */
  async function updatesOf(taskId: string): Promise<{ row: OutboxMessage; payload: CardUpdatePayload; users: string[] }[]> {
    const rows = await ds().getRepository(OutboxMessageSchema).find({ where: { channel: 'card_update' }, order: { id: 'ASC' } })
    return rows
      .map((row) => ({ row, payload: JSON.parse(row.payload) as CardUpdatePayload, users: (JSON.parse(row.recipients) as { touser: string[] }).touser }))
      .filter((update) => update.payload.template_card.task_id === taskId)
  }

  return { cardTo, updatesOf }
}

/** The delivery worker sending through the fake WeCom server on the test's clock; no backoff between attempts. */
export function fakeWeComWorker(ds: DataSource, fake: FakeWeCom, clock: { now: Date }, options: { cards?: boolean } = {}) {
  const client = createWeComClient({ baseUrl: fake.url, corpId: 'wwfakecorp0000001', agentId: 1000002, secret: 'fake-secret', now: () => clock.now.getTime() })
  return createDeliveryWorker({
    dataSource: ds,
    transport: createWeComTransport(client, {}, { dataSource: ds, now: () => clock.now, cards: options.cards }),
    logger: createLogger('silent'),
    quietHours: { startMinute: 0, endMinute: 0 },
    now: () => clock.now,
    random: () => 0,
    backoff: { baseMs: 0, maxMs: 0, maxAttempts: 5 },
  })
}
