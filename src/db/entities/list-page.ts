import { EntitySchema } from 'typeorm'
import { instant, integer, longText, primaryId, reference, shortText } from '../columns.js'

/**
 * The rest of a list that was cut for length, kept for the person who asked so that 更多 shows
 * the next page on whichever instance answers it (docs/chat.md, Long lists). One per person: a
 * new list replaces the old one. Kept for 30 minutes.
 */
export interface ListPage {
  id: number
  personId: number
  /** The message that made the list, to send again once it expired, e.g. "逾期 城关镇". */
  command: string
  /** Every page's text, JSON string[]. */
  pages: string
  /** The page 更多 shows next, 1-based. */
  nextPage: number
  expiresAt: Date
}

export const ListPageSchema = new EntitySchema<ListPage>({
  name: 'ListPage',
  tableName: 'list_page',
  columns: {
    id: primaryId(),
    personId: reference('Person', 'fk_list_page_person', { onDelete: 'CASCADE' }),
    command: shortText(200),
    pages: longText(),
    nextPage: integer(),
    expiresAt: instant(),
  },
  uniques: [{ name: 'uq_list_page_person', columns: ['personId'] }],
})
