import type { DashboardLinks } from '../domain/dashboard-links.js'
import { checkMenu, type AppMenu } from '../wecom/menu.js'

/**
 * The app's custom menu (`npm run cli -- menu sync` sets it). A tap sends the event `click` with
 * the item's key, and the bot runs the chat command the key names (MENU_COMMANDS): a key changes
 * only together with its entry there.
 */
export const APP_MENU: AppMenu = {
  button: [
    { name: '我的事项', type: 'click', key: 'menu:my' },
    { name: '待办', type: 'click', key: 'menu:todo' },
    {
      name: '工具',
      sub_button: [
        { name: '帮助', type: 'click', key: 'menu:help' },
        { name: '统计', type: 'click', key: 'menu:stats' },
      ],
    },
  ],
}

/**
 * The menu `menu sync` sets: APP_MENU, and with the dashboard on, 工具 → 督办看板 opening it
 * (a view item: WeCom opens the page in its browser, which signs in through OAuth; docs/dashboard.md, Links).
 */
export function appMenu(links: DashboardLinks | null): AppMenu {
  if (!links) return APP_MENU
  const menu: AppMenu = {
    button: APP_MENU.button.map((button) => ('sub_button' in button && button.name === '工具' ? { ...button, sub_button: [...button.sub_button, { name: '督办看板', type: 'view' as const, url: links.home }] } : button)),
  }
  checkMenu(menu)
  return menu
}

/** The chat command each menu key runs, as if the member had typed it. */
const MENU_COMMANDS: Readonly<Record<string, string>> = {
  'menu:my': '我的',
  'menu:todo': '待办',
  'menu:help': '帮助',
  'menu:stats': '统计',
}

/** The chat command a menu tap runs; undefined for a key that is not ours (a menu set elsewhere). */
export function menuCommand(key: string): string | undefined {
  return Object.hasOwn(MENU_COMMANDS, key) ? MENU_COMMANDS[key] : undefined
}

// A menu WeCom would refuse, or an item that would do nothing, fails at start-up, not when an
// administrator syncs it or a member taps it.
checkMenu(APP_MENU)
for (const button of APP_MENU.button) {
  for (const item of 'sub_button' in button ? button.sub_button : [button]) {
    if (item.type === 'click' && menuCommand(item.key) === undefined) throw new Error(`app menu: "${item.name}" (${item.key}) runs no command`)
  }
}
