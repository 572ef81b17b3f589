import type { LedgerItem } from '../../../db/entities/index.js'
import { isOverdue, overdueText, STATE_NAMES, statusLight } from '../../../read-model/figures.js'
import { formatChineseDate, type CalendarDate } from '../../../time/calendar-date.js'
import { Light } from './overview.js'

/** "整改中 · 逾期 3 个工作日": the state, and how late an overdue item is. */
export function stateText(item: LedgerItem, today: CalendarDate): string {
  return isOverdue(item, today) ? `${STATE_NAMES[item.status]} · ${overdueText(item.dueDate, today)}` : STATE_NAMES[item.status]
}

/** "9月30日（原 9月10日）" when an extension moved it. */
export function dueText(item: LedgerItem, today: CalendarDate): string {
  const due = formatChineseDate(item.dueDate, today)
  return item.originalDueDate === item.dueDate ? due : `${due}（原 ${formatChineseDate(item.originalDueDate, today)}）`
}

/**
 * Ledger items as a table (单位, 我的): light and number (to 事项), problem, state, progress, due
 * date, and one more column the page chooses (the responsible person, or the unit).
 */
export function ItemsTable(props: { items: readonly LedgerItem[]; today: CalendarDate; last: { header: string; value: (item: LedgerItem) => string } }): JSX.Element {
  const { items, today, last } = props
  return (
    <div class="table-wrap">
      <table class="unit-items">
        <thead>
          <tr>
            <th>编号</th>
            <th>问题</th>
            <th>状态</th>
            <th>进度</th>
            <th>完成时限</th>
            <th safe>{last.header}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr>
              <td>
                <Light light={statusLight(item, today)} /> <a href={`/dash/items/${item.id}`}>#{item.id}</a>
              </td>
              <td safe>{item.problem}</td>
              <td class={isOverdue(item, today) ? 'bad' : undefined} safe>
                {stateText(item, today)}
              </td>
              <td>{item.progress}%</td>
              <td safe>{dueText(item, today)}</td>
              <td safe>{last.value(item) || '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
