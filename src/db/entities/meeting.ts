import { EntitySchema } from 'typeorm'
import { createdAt, instant, longText, primaryId, reference, shortText, updatedAt } from '../columns.js'

export type MeetingStatus = 'scheduled' | 'cancelled' | 'held'

/** 联席会议: convened by 组织部 with the six member units. */
export interface Meeting {
  id: number
  campaignId: number
  title: string
  startsAt: Date
  place: string
  convenerId: number | null
  status: MeetingStatus
  /** 纪要, recorded after the meeting. */
  minutes: string | null
  /** The campaign's figures when the meeting was called (JSON), for the next meeting's "since the last". */
  statusSnapshot: string | null
  createdAt: Date
  updatedAt: Date
}

export const MeetingSchema = new EntitySchema<Meeting>({
  name: 'Meeting',
  tableName: 'meeting',
  columns: {
    id: primaryId(),
    campaignId: reference('Campaign', 'fk_meeting_campaign', { onDelete: 'CASCADE' }),
    title: shortText(200),
    startsAt: instant(),
    place: shortText(200),
    convenerId: reference('Person', 'fk_meeting_convener', { nullable: true, onDelete: 'SET NULL' }),
    status: shortText(16, { default: 'scheduled' }),
    minutes: longText({ nullable: true }),
    statusSnapshot: longText({ nullable: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  indices: [{ name: 'idx_meeting_status_starts', columns: ['status', 'startsAt'] }],
})
