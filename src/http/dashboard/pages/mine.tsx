import type { LedgerItem } from '../../../db/entities/index.js'
import { excelDate } from '../../../domain/reports/sheet-table.js'
import { STATE_NAMES } from '../../../read-model/figures.js'
import type { CalendarDate } from '../../../time/calendar-date.js'
import { xlsxHref, type TableExport } from '../xlsx-export.js'
import { ItemsTable } from './items-table.js'
import { Page, sync, TableFooter, type Viewer } from './layout.js'

export interface MineView {
  name: string
  /** Open items, most urgent first (personOpenItems, as chat's 我的). */
  items: LedgerItem[]
  units: Map<number, string>
  today: CalendarDate
}

/** 我的 as .xlsx: the rows the page shows. */
export function mineExport(view: MineView): TableExport {
  return {
    title: `${view.name}的台账事项（未销号，截至${view.today}）`,
    columns: [
      { header: '编号', kind: 'number' },
      { header: '单位', kind: 'text' },
      { header: '问题', kind: 'text', maxWidth: 50 },
      { header: '状态', kind: 'text' },
      { header: '进度', kind: 'number' },
      { header: '完成时限', kind: 'date' },
    ],
    rows: view.items.map((item) => [item.id, view.units.get(item.unitId) ?? '', item.problem, STATE_NAMES[item.status], item.progress, excelDate(item.dueDate)]),
  }
}

export function MinePage(props: { view: MineView; viewer: Viewer }): string {
  const { view } = props
  return Page({
    title: '我的事项 · 专项治理督办',
    viewer: props.viewer,
    section: 'mine',
    children: sync(
      <>
        <h1>我的事项</h1>
        <p class="scope">我负责的、或本单位未销号的事项，最紧急的在前。点编号查看详情。</p>
        <section class="card">
          {view.items.length === 0 ? (
            <p>您目前没有未销号的台账事项。</p>
          ) : (
            <>
              <ItemsTable items={view.items} today={view.today} last={{ header: '单位', value: (item) => view.units.get(item.unitId) ?? '' }} />
              <TableFooter xlsx={xlsxHref('/dash/mine')} count={`共 ${view.items.length} 项`} />
            </>
          )}
        </section>
      </>,
    ),
  })
}
