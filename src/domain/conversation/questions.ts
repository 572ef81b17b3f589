import type { DataSource, EntityManager } from 'typeorm'
import { findOneForUpdate } from '../../db/row-lock.js'
import { isMysql } from '../../db/sql-instant.js'
import { PersonQuestionSchema, PersonSchema, type PersonQuestion, type QuestionKind } from '../../db/entities/index.js'

/** How long a question waits for its answer (docs/cards.md, Short conversations). */
export const QUESTION_MINUTES = 10

export interface NewQuestion {
  kind: QuestionKind
  subjectId: number
  taskId: string | null
  responseCode: string | null
  prompt: string
}

/** Asks the person a question, replacing any question still open (one per person). */
export async function askQuestion(ds: DataSource, personId: number, question: NewQuestion, now: Date): Promise<void> {
  await ds.transaction(async (manager) => {
    // The person's row serializes two questions asked at once (two taps).
    await findOneForUpdate(manager, PersonSchema, { id: personId })
    await manager.delete(PersonQuestionSchema, { personId })
    await manager.insert(PersonQuestionSchema, { personId, ...question, askedAt: now, expiresAt: new Date(now.getTime() + QUESTION_MINUTES * 60_000) })
  })
}

export type OpenQuestion = { kind: 'open'; question: PersonQuestion } | { kind: 'expired'; question: PersonQuestion } | { kind: 'none' }

/**
 * The person's question, locked until the transaction ends (two answers at once: the second
 * finds it answered). An expired one is removed and reported once, so the reply can say so.
 */
export async function takeQuestion(ds: DataSource, personId: number, now: Date): Promise<OpenQuestion> {
  const take = async (manager: EntityManager): Promise<OpenQuestion> => {
    // Most messages come from someone with no question open: one plain statement (locking as
    // findOneForUpdate does) says so, without TypeORM's builder (docs/callback-speed.md).
    const [open] = (await manager.query(`SELECT id FROM person_question WHERE person_id = ?${isMysql(manager) ? ' FOR UPDATE' : ''}`, [personId])) as unknown[]
    if (!open) return { kind: 'none' }
    const question = await findOneForUpdate(manager, PersonQuestionSchema, { personId })
    if (!question) return { kind: 'none' }
    if (question.expiresAt.getTime() > now.getTime()) return { kind: 'open', question }
    await manager.delete(PersonQuestionSchema, { id: question.id })
    return { kind: 'expired', question }
  }
  // Inside the message's transaction (every chat message, docs/callback-speed.md) the lock lasts
  // until it ends anyway, and the one write needs no savepoint of its own: two statements fewer.
  return ds.manager.queryRunner?.isTransactionActive ? take(ds.manager) : ds.transaction(take)
}

/** The question is answered, cancelled or given up: it is removed. */
export async function closeQuestion(ds: DataSource, question: Pick<PersonQuestion, 'id'>): Promise<void> {
  await ds.getRepository(PersonQuestionSchema).delete({ id: question.id })
}
