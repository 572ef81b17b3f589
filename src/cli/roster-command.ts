import type { Command } from 'commander'
import { ROLE_NAMES } from '../bot/command-registry.js'
import { openDatabase } from '../db/open-database.js'
import { displayWidth } from '../domain/reports/sheet-table.js'
import { CAMPAIGN_ROLE_NAMES, rosterView } from '../read-model/roster.js'
import { beijingDate } from '../time/calendar-date.js'
import { exitCode, type CliContext } from './program.js'

/** `roster list [--unit 单位]`: the units taking part and their people, or one unit's people and roles (the same read as 名册 in chat). */
export function addRosterCommand(program: Command, cli: CliContext): void {
  const roster = program.command('roster').description('花名册：参加单位、人员、角色和不可送达的人员')
  roster
    .command('list')
    .description('列出参加单位及人数；--unit 列出一个单位的人员和角色')
    .option('--unit <单位>', '单位名称')
    .addHelpText('after', '\n例：npm run cli -- roster list\n    npm run cli -- roster list --unit 城关镇')
    .action(
      exitCode(async (options: { unit?: string }) => {
        const dataSource = await openDatabase(cli.config().database, cli.logger())
        try {
          const view = await rosterView(dataSource, beijingDate(new Date()), options.unit)
          if (view.kind === 'units') {
            const rows = view.units.map((u) => [u.name, u.campaignRoles.map((r) => CAMPAIGN_ROLE_NAMES[r]).join('、') || '—', String(u.people), String(u.undeliverable)])
            for (const line of table(['单位', '参加方式', '人数', '不可送达'], rows, [2, 3])) cli.print(line)
            const people = view.units.reduce((n, u) => n + u.people, 0)
            const undeliverable = view.units.reduce((n, u) => n + u.undeliverable, 0)
            const scope = view.campaign ? `专项治理 #${view.campaign.id}「${view.campaign.name}」` : '还没有专项治理，列出全部单位'
            cli.print(`共 ${view.units.length} 个单位，${people} 人，${undeliverable} 人不可送达（${scope}）。`)
          } else {
            const rows = view.people.map((p) => [p.name, p.userid, p.roles.map((r) => ROLE_NAMES[r]).join('、') || '无角色', p.undeliverable ?? ''])
            for (const line of table(['姓名', '账号', '角色', '不可送达'], rows)) cli.print(line)
            cli.print(`${view.unit.name}：${view.people.length} 人，${view.people.filter((p) => p.undeliverable !== null).length} 人不可送达。`)
          }
          return 0
        } finally {
          await dataSource.destroy()
        }
      }),
    )
}

/** A plain text table: columns padded to their widest cell (a Chinese character takes two columns), numbers right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], rightAligned: readonly number[] = []): string[] {
  const widths = headers.map((header, i) => Math.max(displayWidth(header), ...rows.map((row) => displayWidth(row[i] ?? ''))))
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        const pad = ' '.repeat(widths[i]! - displayWidth(cell))
        return rightAligned.includes(i) ? pad + cell : i === cells.length - 1 ? cell : cell + pad
      })
      .join('  ')
      .trimEnd()
  return [line(headers), ...rows.map(line)]
}
