import type { DataSource } from 'typeorm'
import { LedgerItemSchema, PersonSchema, type Campaign, type LedgerItem } from '../../src/db/entities/index.js'
import { sqlInstant } from '../../src/db/sql-instant.js'
import { addLedgerItem, seedCampaignPeople } from './ledger-fixture.js'

/** A Beijing instant: bj('2015-09-06', '09:05'). */
export const bj = (date: string, time: string) => new Date(`${date}T${time}:00+08:00`)

/** Thursday 2015-10-08 10:00, the first working day after the National Day holiday: September is over. */
export const HISTORY_NOW = bj('2015-10-08', '10:00')

/**
 * The hand-written September 2015 of docs/responsiveness.md's figures, across the 抗战胜利纪念日
 * holiday (9月3日–5日 off, Sunday 9月6日 a make-up working day), weekends and National Day
 * (10月1日–7日). Two towns:
 *
 * 城关镇 (张伟 head, 李娜 leader, 陈静 liaison, 赵磊 staff)
 * - #1 赵磊/李娜, due 9月9日: due-3 Sun 9/6 09:05 → 进度 Mon 9/7 10:05 (8h25m + 1h35m = 10.0 h);
 *   due-1 Tue 9/8 09:05 → nothing before overdue-1 Thu 9/10 09:05 (赵磊 and 李娜) → 完成 Thu 9/10 16:00:
 *   due-1 unanswered with 24.9 h (8h25m + 9h + 7h30m), overdue-1 answered in 6.9 h. Rectified a day late.
 * - #2 陈静/李娜, due 9月18日: due-3 Tue 9/15 09:05 → 延期 at 11:00 (1.9 h); approved 9/16 to 9月30日;
 *   due-3 for 9/30 queued Fri 9/25 09:05 but delivered Sat 9/26 10:00 → 延期 Mon 9/28 09:00 (0.5 h: from
 *   08:30); approved 9/29 to 10月16日: extended twice in September.
 * - #5 赵磊/李娜, due 10月8日: due-1 Wed 9/30 09:05, no action: still pending on 10月8日 10:00 (2h55m +
 *   1h30m of office time since, under 27 h).
 * 后港镇 (孙丽 head, 吴芳 staff)
 * - #3 吴芳/孙丽, due 9月2日, open, never acted on: due-3 Fri 8/28 (August: not counted), due-1 Tue 9/1,
 *   overdue-1 Sun 9/6 (吴芳 and 孙丽), escalate-3 Tue 9/8 (孙丽), escalate-7 Mon 9/14 (组织部 王健):
 *   due-1, overdue-1 unanswered at the next stage, escalate-3 after 3 working days.
 *   Overdue at September's end: 19 working days (9/6–9/11: 6; 9/14–9/18: 5; 9/21–9/25: 5; 9/28–9/30: 3).
 * - #4 吴芳/孙丽, due 9月25日: due-3 Tue 9/22 09:05 to 吴芳; due-1 Thu 9/24 09:05 to 孙丽 for 吴芳 (on
 *   leave); 完成 by 孙丽 Thu 9/24 15:00: due-3 unanswered with 23.9 h, due-1 answered in 5.9 h. On time.
 */
export async function seedHistory(ds: DataSource) {
  const { campaign, chengguan, hougang } = await seedCampaignPeople(ds, '2015-07-01')
  const ids = new Map((await ds.getRepository(PersonSchema).find()).map((p) => [p.userid, p.id]))
  const id = (userid: string) => ids.get(userid)!
  const item = async (unitId: number, person: string, leader: string, values: Partial<LedgerItem>) => {
    const saved = await addLedgerItem(ds, campaign.id, unitId, { person, leader }, { originalDueDate: values.dueDate, ...values })
    // Registered in August: the ledger as of September's end includes it.
    await ds.query('UPDATE ledger_item SET created_at = ? WHERE id = ?', [sqlInstant(ds, bj('2015-08-03', '10:00')), saved.id])
    return saved.id
  }
  const i1 = await item(chengguan, 'zhaolei', 'lina', { problem: '招商项目跑办不积极', dueDate: '2015-09-09', status: 'rectified', progress: 100, rectifiedAt: bj('2015-09-10', '16:00') })
  const i2 = await item(chengguan, 'chenjing', 'lina', { problem: '便民大厅多头跑', dueDate: '2015-09-18' })
  await ds.getRepository(LedgerItemSchema).update({ id: i2 }, { dueDate: '2015-10-16' })
  const i3 = await item(hougang, 'wufang', 'sunli', { problem: '人居环境整治缓慢', dueDate: '2015-09-02', status: 'open', progress: 0 })
  const i4 = await item(hougang, 'wufang', 'sunli', { problem: '农村公路养护不到位', dueDate: '2015-09-25', status: 'rectified', progress: 100, rectifiedAt: bj('2015-09-24', '15:00') })
  const i5 = await item(chengguan, 'zhaolei', 'lina', { problem: '信访件办理拖延', dueDate: '2015-10-08' })

  const remind = (itemId: number, unitId: number, stage: string, dueDate: string, to: string, delivered: Date, options: { forPerson?: string; queued?: Date; audience?: 'unit' | 'org' } = {}) =>
    ds.query(
      `INSERT INTO reminder_record (campaign_id, ledger_item_id, unit_id, stage, stage_days, due_date, audience, person_id, for_person_id, outbox_key, queued_at, delivered_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        campaign.id, itemId, unitId, stage, stageDays(stage), dueDate, options.audience ?? 'unit', id(to), options.forPerson ? id(options.forPerson) : null,
        `digest:${to}:${delivered.toISOString().slice(0, 10)}:${itemId}`, sqlInstant(ds, options.queued ?? delivered), sqlInstant(ds, delivered),
      ],
    )
  const act = (itemId: number, kind: 'progress' | 'rectified', by: string, at: Date, statuses: [string, string]) =>
    ds.query('INSERT INTO progress_update (ledger_item_id, person_id, kind, old_status, new_status, old_progress, new_progress, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      itemId, id(by), kind, statuses[0], statuses[1], 40, kind === 'rectified' ? 100 : 60, '按计划推进', sqlInstant(ds, at),
    ])
  const extension = (itemId: number, by: string, from: string, to: string, asked: Date, decided: Date) =>
    ds.query(
      `INSERT INTO extension_request (ledger_item_id, requested_by_id, old_due_date, new_due_date, reason, status, decided_by_id, decided_at, decision_note, created_at)
       VALUES (?, ?, ?, ?, ?, 'approved', ?, ?, NULL, ?)`,
      [itemId, id(by), from, to, '需协调资金', id('wangjian'), sqlInstant(ds, decided), sqlInstant(ds, asked)],
    )

  // #1
  await remind(i1, chengguan, 'due-3', '2015-09-09', 'zhaolei', bj('2015-09-06', '09:05'))
  await act(i1, 'progress', 'zhaolei', bj('2015-09-07', '10:05'), ['in_progress', 'in_progress'])
  await remind(i1, chengguan, 'due-1', '2015-09-09', 'zhaolei', bj('2015-09-08', '09:05'))
  await remind(i1, chengguan, 'overdue-1', '2015-09-09', 'zhaolei', bj('2015-09-10', '09:05'))
  await remind(i1, chengguan, 'overdue-1', '2015-09-09', 'lina', bj('2015-09-10', '09:05'))
  await act(i1, 'rectified', 'zhaolei', bj('2015-09-10', '16:00'), ['in_progress', 'rectified'])
  // #2
  await remind(i2, chengguan, 'due-3', '2015-09-18', 'chenjing', bj('2015-09-15', '09:05'))
  await extension(i2, 'chenjing', '2015-09-18', '2015-09-30', bj('2015-09-15', '11:00'), bj('2015-09-16', '17:00'))
  await remind(i2, chengguan, 'due-3', '2015-09-30', 'chenjing', bj('2015-09-26', '10:00'), { queued: bj('2015-09-25', '09:05') })
  await extension(i2, 'chenjing', '2015-09-30', '2015-10-16', bj('2015-09-28', '09:00'), bj('2015-09-29', '10:00'))
  // #3
  await remind(i3, hougang, 'due-3', '2015-09-02', 'wufang', bj('2015-08-28', '09:05'))
  await remind(i3, hougang, 'due-1', '2015-09-02', 'wufang', bj('2015-09-01', '09:05'))
  await remind(i3, hougang, 'overdue-1', '2015-09-02', 'wufang', bj('2015-09-06', '09:05'))
  await remind(i3, hougang, 'overdue-1', '2015-09-02', 'sunli', bj('2015-09-06', '09:05'))
  await remind(i3, hougang, 'escalate-3', '2015-09-02', 'sunli', bj('2015-09-08', '09:05'))
  await remind(i3, hougang, 'escalate-7', '2015-09-02', 'wangjian', bj('2015-09-14', '09:05'), { audience: 'org' })
  // #4
  await remind(i4, hougang, 'due-3', '2015-09-25', 'wufang', bj('2015-09-22', '09:05'))
  await remind(i4, hougang, 'due-1', '2015-09-25', 'sunli', bj('2015-09-24', '09:05'), { forPerson: 'wufang' })
  await act(i4, 'rectified', 'sunli', bj('2015-09-24', '15:00'), ['in_progress', 'rectified'])
  // #5
  await remind(i5, chengguan, 'due-1', '2015-10-08', 'zhaolei', bj('2015-09-30', '09:05'))
  return { campaign: campaign as Campaign, chengguan, hougang, items: { i1, i2, i3, i4, i5 } }
}

function stageDays(stage: string): number {
  const [kind, days] = stage.split('-') as [string, string]
  return kind === 'due' ? -Number(days) : Number(days)
}
