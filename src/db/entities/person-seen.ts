import { EntitySchema } from 'typeorm'
import { instant, primaryId, reference, shortText } from '../columns.js'

/**
 * When a person last looked at something that 待办 counts as new since then, e.g. the monthly
 * reports submitted since 组织部 last opened 待办 (docs/chat.md, 待办).
 */
export interface PersonSeen {
  id: number
  personId: number
  /** What was looked at, e.g. "monthly_reports". */
  topic: string
  seenAt: Date
}

export const PersonSeenSchema = new EntitySchema<PersonSeen>({
  name: 'PersonSeen',
  tableName: 'person_seen',
  columns: {
    id: primaryId(),
    personId: reference('Person', 'fk_person_seen_person', { onDelete: 'CASCADE' }),
    topic: shortText(32),
    seenAt: instant(),
  },
  uniques: [{ name: 'uq_person_seen_topic', columns: ['personId', 'topic'] }],
})
