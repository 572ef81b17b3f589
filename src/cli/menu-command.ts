import type { Command } from 'commander'
import { appMenu } from '../bot/app-menu.js'
import { dashboardLinks } from '../domain/dashboard-links.js'
import { createClient } from '../delivery/create-transport.js'
import { UserFacingError } from '../errors.js'
import { WeComApiError, WeComHttpError } from '../wecom/errors.js'
import type { AppMenu, MenuItem } from '../wecom/menu.js'
import { exitCode, type CliContext } from './program.js'

/** The menu this deployment sets: with DASHBOARD_URL, 督办看板 among the tools. */
const menuOf = (cli: CliContext) => appMenu(dashboardLinks(cli.config().dashboard.url))

/** `menu sync` sets the app's custom menu (appMenu); `menu show` prints the one WeCom has. */
export function addMenuCommand(program: Command, cli: CliContext): void {
  const menu = program.command('menu').description('应用菜单：设置、查看')
  menu
    .command('sync')
    .description('把应用菜单设置为本程序定义的菜单（替换原有菜单）')
    .addHelpText('after', '\n例：npm run cli -- menu sync')
    .action(
      exitCode(async () => {
        const client = createClient(cli.config())
        if (!client) {
          cli.print('控制台模式（未配置企业微信）：将设置的应用菜单如下，未发送到企业微信。')
          for (const line of describeMenu(menuOf(cli))) cli.print(line)
          return 0
        }
        await askWeCom('设置菜单', () => client.createMenu(menuOf(cli)))
        cli.print(`已设置应用菜单（应用 ${cli.config().wecom!.agentId}）：`)
        for (const line of describeMenu(menuOf(cli))) cli.print(line)
        return 0
      }),
    )
  menu
    .command('show')
    .description('显示企业微信中当前的应用菜单')
    .addHelpText('after', '\n例：npm run cli -- menu show')
    .action(
      exitCode(async () => {
        const client = createClient(cli.config())
        if (!client) {
          cli.print('控制台模式（未配置企业微信）：无法查询企业微信中的菜单。menu sync 将设置的菜单如下：')
          for (const line of describeMenu(menuOf(cli))) cli.print(line)
          return 0
        }
        const current = await askWeCom('查询菜单', () => client.getMenu())
        if (!current) {
          cli.print('未设置菜单。设置：npm run cli -- menu sync')
          return 0
        }
        cli.print(`应用 ${cli.config().wecom!.agentId} 的菜单：`)
        for (const line of describeMenu(current)) cli.print(line)
        return 0
      }),
    )
}

/** WeCom's refusal or an unreachable WeCom, said as such (with the errcode's hint), not as a crash. */
async function askWeCom<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof WeComApiError || error instanceof WeComHttpError) throw new UserFacingError('wecom_failed', `企业微信${what}未成功：${error.message}`)
    throw error
  }
}

/** One line per item, sub-items indented: what a tap does. */
function describeMenu(menu: AppMenu): string[] {
  return menu.button.flatMap((button) =>
    'sub_button' in button ? [`  ${button.name}`, ...button.sub_button.map((item) => `    ${describeItem(item)}`)] : [`  ${describeItem(button)}`],
  )
}

function describeItem(item: MenuItem): string {
  if (item.type === 'click') return `${item.name}（点击，key=${item.key}）`
  if (item.type === 'view') return `${item.name}（打开网页 ${item.url}）`
  // Set elsewhere (the admin console) with a type this program does not use.
  return `${(item as { name: string }).name}（${String((item as { type?: unknown }).type)}）`
}
