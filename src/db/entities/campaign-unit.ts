import { EntitySchema } from 'typeorm'
import { createdAt, primaryId, reference, shortText } from '../columns.js'

export const CAMPAIGN_UNIT_ROLES = ['participant', 'joint_member', 'convener'] as const
/**
 * participant: keeps a ledger and owes the phase deliverables and monthly reports;
 * joint_member: one of the joint meeting's member units (联席会议成员单位);
 * convener: calls the joint meetings and receives the reports (县委组织部).
 */
export type CampaignUnitRole = (typeof CAMPAIGN_UNIT_ROLES)[number]

/** Which units take part in a campaign, and how. A unit may hold several roles in one campaign. */
export interface CampaignUnit {
  id: number
  campaignId: number
  unitId: number
  role: CampaignUnitRole
  createdAt: Date
}

export const CampaignUnitSchema = new EntitySchema<CampaignUnit>({
  name: 'CampaignUnit',
  tableName: 'campaign_unit',
  columns: {
    id: primaryId(),
    campaignId: reference('Campaign', 'fk_campaign_unit_campaign', { onDelete: 'CASCADE' }),
    unitId: reference('Unit', 'fk_campaign_unit_unit', { onDelete: 'CASCADE' }),
    role: shortText(16),
    createdAt: createdAt(),
  },
  uniques: [{ name: 'uq_campaign_unit_role', columns: ['campaignId', 'unitId', 'role'] }],
  indices: [{ name: 'idx_campaign_unit_role', columns: ['campaignId', 'role'] }],
})
