import { EntitySchema } from 'typeorm'
import { integer, longText, primaryId, reference, shortText } from '../columns.js'

/** 问题类别: the plan's eight categories, (一) 促进发展不敢为 … (八) 因循守旧不敢闯. */
export interface ProblemCategory {
  id: number
  campaignId: number
  /** 1…8 */
  number: number
  /** "(一)" */
  label: string
  name: string
  description: string
}

export const ProblemCategorySchema = new EntitySchema<ProblemCategory>({
  name: 'ProblemCategory',
  tableName: 'problem_category',
  columns: {
    id: primaryId(),
    campaignId: reference('Campaign', 'fk_problem_category_campaign', { onDelete: 'CASCADE' }),
    number: integer(),
    label: shortText(10),
    name: shortText(50),
    description: longText(),
  },
  uniques: [{ name: 'uq_problem_category_number', columns: ['campaignId', 'number'] }],
})
