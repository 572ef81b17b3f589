import ExcelJS from 'exceljs'
import type { ProblemCategory } from '../../db/entities/index.js'
import { LEDGER_COLUMNS } from './import-ledger.js'
import { PEOPLE_COLUMNS, ROLE_WORDS, UNIT_COLUMNS } from './import-roster.js'
import type { ColumnSpec } from './read-table.js'

export type TemplateKind = 'units' | 'people' | 'ledger'

const CHINESE_NUMBERS = '一二三四五六七八九十'

interface TemplateColumn {
  spec: ColumnSpec
  sample: string | Date
  note: string
  /** A drop-down list of allowed values. */
  choices?: string[]
  width: number
}

function columns(kind: TemplateKind, categories: readonly ProblemCategory[]): TemplateColumn[] {
  const spec = (list: readonly ColumnSpec[], key: string) => list.find((c) => c.key === key)!
  const categoryChoices = categories.map((c) => `(${CHINESE_NUMBERS[c.number - 1]})${c.name}`)
  switch (kind) {
    case 'units':
      return [
        { spec: spec(UNIT_COLUMNS, 'name'), sample: '城关镇', note: '必填。单位全称，与花名册、台账中的写法一致；按名称识别，再次导入时更新而不重复。', width: 24 },
        { spec: spec(UNIT_COLUMNS, 'kind'), sample: '镇', note: '必填。镇、县直单位、事业单位 或 联席会议成员单位。', choices: ['镇', '县直单位', '事业单位', '联席会议成员单位'], width: 16 },
        { spec: spec(UNIT_COLUMNS, 'parent'), sample: '', note: '选填。上级（主管）单位的名称，须在花名册或本表中。', width: 20 },
      ]
    case 'people':
      return [
        { spec: spec(PEOPLE_COLUMNS, 'name'), sample: '张伟', note: '必填。', width: 10 },
        { spec: spec(PEOPLE_COLUMNS, 'userid'), sample: 'zhangwei', note: '必填。企业微信成员账号（UserID，管理后台「通讯录」可查）；按账号识别，再次导入时更新。', width: 18 },
        { spec: spec(PEOPLE_COLUMNS, 'unit'), sample: '城关镇', note: '必填。所在单位名称，须先导入单位。', width: 20 },
        { spec: spec(PEOPLE_COLUMNS, 'title'), sample: '党委书记', note: '选填。', width: 16 },
        { spec: spec(PEOPLE_COLUMNS, 'roles'), sample: '第一责任人', note: `选填，可写多个，用顿号隔开：${Object.keys(ROLE_WORDS).join('、')}。再次导入时以表中所列为准。`, choices: Object.keys(ROLE_WORDS), width: 16 },
        { spec: spec(PEOPLE_COLUMNS, 'mobile'), sample: '13800000000', note: '选填。', width: 16 },
      ]
    case 'ledger':
      return [
        { spec: spec(LEDGER_COLUMNS, 'unit'), sample: '城关镇', note: '必填。单位名称，须在花名册中。', width: 16 },
        { spec: spec(LEDGER_COLUMNS, 'category'), sample: categoryChoices[1] ?? '(二)', note: '必填。八类问题之一：可选下拉项，或写 (一)–(八)、类别名称。', choices: categoryChoices, width: 22 },
        { spec: spec(LEDGER_COLUMNS, 'problem'), sample: '信访件转办后推诿扯皮', note: '必填。同一单位的同一问题再次导入时更新，不重复。', width: 36 },
        { spec: spec(LEDGER_COLUMNS, 'measures'), sample: '建立首办责任制', note: '必填。', width: 28 },
        { spec: spec(LEDGER_COLUMNS, 'target'), sample: '积案全部化解', note: '必填。', width: 20 },
        { spec: spec(LEDGER_COLUMNS, 'due'), sample: new Date(Date.UTC(2015, 8, 30)), note: '必填。日期，如 2015-09-30 或 2015年9月30日；不能早于专项治理开始。', width: 14 },
        { spec: spec(LEDGER_COLUMNS, 'department'), sample: '党政办', note: '选填。', width: 14 },
        { spec: spec(LEDGER_COLUMNS, 'leader'), sample: '李娜', note: '必填。本单位人员的姓名或企业微信账号。', width: 12 },
        { spec: spec(LEDGER_COLUMNS, 'person'), sample: '赵磊', note: '必填。本单位人员的姓名或企业微信账号。', width: 12 },
        { spec: spec(LEDGER_COLUMNS, 'public'), sample: '是', note: '选填，是 或 否（默认否）。', choices: ['是', '否'], width: 10 },
      ]
  }
}

const SHEET_NAMES: Record<TemplateKind, string> = { units: '单位', people: '人员', ledger: '工作台账' }

/**
 * An empty template: the headers, one sample row (to be replaced), drop-downs where the values
 * are a fixed list, and a 填写说明 sheet explaining each column. The import reads it back as is.
 */
export function templateWorkbook(kind: TemplateKind, categories: readonly ProblemCategory[]): ExcelJS.Workbook {
  const workbook = new ExcelJS.Workbook()
  const cols = columns(kind, categories)
  const sheet = workbook.addWorksheet(SHEET_NAMES[kind], { views: [{ state: 'frozen', ySplit: 1 }] })
  sheet.columns = cols.map((c) => ({ header: c.spec.header, width: c.width }))
  sheet.getRow(1).font = { bold: true }
  sheet.getRow(1).fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } }
  sheet.addRow(cols.map((c) => c.sample))
  cols.forEach((c, index) => {
    const column = sheet.getColumn(index + 1)
    if (c.sample instanceof Date) column.numFmt = 'yyyy-mm-dd'
    if (!c.choices) return
    for (let row = 2; row <= 1000; row++) {
      sheet.getCell(row, index + 1).dataValidation = {
        type: 'list',
        allowBlank: true,
        formulae: [`"${c.choices.join(',')}"`],
        showErrorMessage: c.spec.key !== 'roles',
        errorTitle: c.spec.header,
        error: `请从下拉列表中选择：${c.choices.join('、')}`,
      }
    }
  })
  const notes = workbook.addWorksheet('填写说明')
  notes.columns = [
    { header: '列', width: 16 },
    { header: '说明', width: 80 },
  ]
  notes.getRow(1).font = { bold: true }
  for (const c of cols) notes.addRow([c.spec.header, c.note])
  notes.addRow([])
  notes.addRow(['', '第二行是示例，请替换或删除。可有多个工作表；表头上方可有标题行。导入前可加 --dry-run 只检查不写入。'])
  return workbook
}
