import { EntitySchema } from 'typeorm'
import { instant, integer, primaryId, reference, shortText } from '../columns.js'

/** What a question asks for (docs/cards.md, Short conversations); subject_id names its row. */
export type QuestionKind =
  /** 更新进度: percentage and note for ledger_item subject_id. */
  | 'progress'
  /** 已整改: the rectification note for ledger_item subject_id. */
  | 'done'
  /** 申请延期: new date and reason for ledger_item subject_id. */
  | 'extend'
  /** 驳回 an extension request: the reason, extension_request subject_id. */
  | 'reject_extension'
  /** 退回 a rectified item: the reason, ledger_item subject_id. */
  | 'send_back'
  /** 请假 from a meeting: the reason, meeting subject_id. */
  | 'meeting_leave'
  /** Media sent with no item named (docs/evidence.md): which item they are for; subject_id unused (0). */
  | 'evidence_item'

/**
 * The one open question a person was asked after tapping a button that needs words
 * (docs/cards.md, Short conversations). Stored, so it survives a restart and any instance
 * reads the answer; one per person (a new question replaces the old).
 */
export interface PersonQuestion {
  id: number
  personId: number
  kind: QuestionKind
  subjectId: number
  /** The card tapped (its outbox row's task id), so that the answer updates it; null if none. */
  taskId: string | null
  /** The tap's response code, unused by the tap (a question leaves the card as it is): the answer's change updates the card with it. */
  responseCode: string | null
  /** What was asked, to repeat when the answer could not be read. */
  prompt: string
  askedAt: Date
  expiresAt: Date
}

export const PersonQuestionSchema = new EntitySchema<PersonQuestion>({
  name: 'PersonQuestion',
  tableName: 'person_question',
  columns: {
    id: primaryId(),
    personId: reference('Person', 'fk_person_question_person', { onDelete: 'CASCADE' }),
    kind: shortText(32),
    subjectId: integer(),
    taskId: shortText(128, { nullable: true }),
    responseCode: shortText(512, { nullable: true }),
    prompt: shortText(200),
    askedAt: instant(),
    expiresAt: instant(),
  },
  uniques: [{ name: 'uq_person_question_person', columns: ['personId'] }],
})
