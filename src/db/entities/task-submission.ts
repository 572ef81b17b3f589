import { EntitySchema } from 'typeorm'
import { createdAt, instant, longText, primaryId, reference, shortText } from '../columns.js'

export type SubmissionStatus = 'submitted' | 'accepted' | 'returned'

/** One unit's hand-in for one phase task. */
export interface TaskSubmission {
  id: number
  taskId: number
  unitId: number
  submittedById: number | null
  content: string
  status: SubmissionStatus
  submittedAt: Date
  createdAt: Date
}

export const TaskSubmissionSchema = new EntitySchema<TaskSubmission>({
  name: 'TaskSubmission',
  tableName: 'task_submission',
  columns: {
    id: primaryId(),
    taskId: reference('PhaseTask', 'fk_task_submission_task', { onDelete: 'CASCADE' }),
    unitId: reference('Unit', 'fk_task_submission_unit'),
    submittedById: reference('Person', 'fk_task_submission_person', { nullable: true, onDelete: 'SET NULL' }),
    content: longText(),
    status: shortText(16, { default: 'submitted' }),
    submittedAt: instant(),
    createdAt: createdAt(),
  },
  uniques: [{ name: 'uq_task_submission_task_unit', columns: ['taskId', 'unitId'] }],
})
