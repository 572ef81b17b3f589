import { EntitySchema } from 'typeorm'
import { instant, longText, primaryId, reference, shortText } from '../columns.js'

export type AttendanceResponse = 'pending' | 'attend' | 'leave'

/** A participant of a meeting and their answer (参加 / 请假). */
export interface Attendance {
  id: number
  meetingId: number
  personId: number
  response: AttendanceResponse
  reason: string | null
  respondedAt: Date | null
}

export const AttendanceSchema = new EntitySchema<Attendance>({
  name: 'Attendance',
  tableName: 'attendance',
  columns: {
    id: primaryId(),
    meetingId: reference('Meeting', 'fk_attendance_meeting', { onDelete: 'CASCADE' }),
    personId: reference('Person', 'fk_attendance_person', { onDelete: 'CASCADE' }),
    response: shortText(16, { default: 'pending' }),
    reason: longText({ nullable: true }),
    respondedAt: instant({ nullable: true }),
  },
  uniques: [{ name: 'uq_attendance_meeting_person', columns: ['meetingId', 'personId'] }],
})
