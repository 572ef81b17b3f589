import { EntitySchema } from 'typeorm'
import { createdAt, instant, longText, primaryId, reference, shortText } from '../columns.js'

export type CircularKind = 'work' | 'typical_case'
export type CircularStatus = 'draft' | 'sent' | 'recalled'

/** 通报: a broadcast to an audience, with acknowledgement tracking. */
export interface Circular {
  id: number
  campaignId: number
  kind: CircularKind
  title: string
  body: string
  /** The audience selector as JSON, e.g. {"type":"towns"} or {"type":"units","unitIds":[3,4]}. */
  audience: string
  sentById: number | null
  status: CircularStatus
  sentAt: Date | null
  recalledAt: Date | null
  createdAt: Date
}

export const CircularSchema = new EntitySchema<Circular>({
  name: 'Circular',
  tableName: 'circular',
  columns: {
    id: primaryId(),
    campaignId: reference('Campaign', 'fk_circular_campaign', { onDelete: 'CASCADE' }),
    kind: shortText(16),
    title: shortText(200),
    body: longText(),
    audience: longText(),
    sentById: reference('Person', 'fk_circular_sender', { nullable: true, onDelete: 'SET NULL' }),
    status: shortText(16, { default: 'draft' }),
    sentAt: instant({ nullable: true }),
    recalledAt: instant({ nullable: true }),
    createdAt: createdAt(),
  },
})
