import type { OutboxMessage } from '../db/entities/index.js'

/** What came back from sending one outbox row. */
export interface DeliveryReceipt {
  msgids: string[]
  /** Members WeCom would not deliver to: not members or outside the app's visible range. */
  invalidUsers: string[]
  /** Members without an API licence. */
  unlicensedUsers: string[]
}

/** Sends a stored outbox row: through WeCom, or to the console when no credentials are configured. */
export interface Transport {
  readonly name: 'wecom' | 'console'
  send(row: OutboxMessage): Promise<DeliveryReceipt>
}

/** A failure that will not go away by retrying (bad configuration, a robot nobody configured). */
export class PermanentDeliveryError extends Error {
  readonly code = 'delivery_permanent'
  readonly retryable = false
}

export const EMPTY_RECEIPT: DeliveryReceipt = Object.freeze({ msgids: [], invalidUsers: [], unlicensedUsers: [] }) as DeliveryReceipt
