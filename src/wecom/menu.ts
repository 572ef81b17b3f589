import type { ClientContext } from './client-context.js'
import { call } from './client-request.js'
import { WeComApiError } from './errors.js'
import { utf8Length } from './utf8-limits.js'

/**
 * The app's custom menu (menu/create, menu/get, menu/delete, all with `agentid` in the query;
 * https://developer.work.weixin.qq.com/document/path/90231). A `click` item sends the event
 * `click` with its key as EventKey; a `view` item opens its url; an item with sub-items fires
 * nothing itself.
 */
export type MenuItem = { name: string; type: 'click'; key: string } | { name: string; type: 'view'; url: string }

export type MenuButton = MenuItem | { name: string; sub_button: MenuItem[] }

export interface AppMenu {
  button: MenuButton[]
}

/** WeCom's limits for the menu (the page above). */
export const MENU_LIMITS = {
  topLevel: 3,
  subItems: 5,
  topNameBytes: 16,
  subNameBytes: 40,
  keyBytes: 128,
} as const

/** WeCom's answer to menu/get when the app has no menu. */
const MENU_NOT_FOUND = 46003

/** Throws an Error naming what is wrong unless WeCom would take the menu. */
export function checkMenu(menu: AppMenu): void {
  const buttons = menu.button
  if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > MENU_LIMITS.topLevel) {
    throw new Error(`app menu: ${Array.isArray(buttons) ? buttons.length : 0} top-level items (1 to ${MENU_LIMITS.topLevel})`)
  }
  for (const button of buttons) {
    checkName(button.name, MENU_LIMITS.topNameBytes)
    if (!('sub_button' in button)) {
      checkItem(button)
      continue
    }
    // An item with an empty list would neither open nor fire anything.
    if (button.sub_button.length < 1 || button.sub_button.length > MENU_LIMITS.subItems) {
      throw new Error(`app menu: "${button.name}" has ${button.sub_button.length} sub-items (1 to ${MENU_LIMITS.subItems})`)
    }
    for (const item of button.sub_button) {
      checkName(item.name, MENU_LIMITS.subNameBytes)
      checkItem(item)
    }
  }
}

function checkName(name: string, maxBytes: number): void {
  if (typeof name !== 'string' || name === '' || utf8Length(name) > maxBytes) throw new Error(`app menu: name "${name}" empty or over ${maxBytes} bytes`)
}

function checkItem(item: MenuItem): void {
  if (item.type === 'click') {
    if (typeof item.key !== 'string' || item.key === '' || utf8Length(item.key) > MENU_LIMITS.keyBytes) throw new Error(`app menu: "${item.name}" key empty or over ${MENU_LIMITS.keyBytes} bytes`)
    return
  }
  if (item.type === 'view') {
    if (typeof item.url !== 'string' || !/^https?:\/\/\S+$/.test(item.url)) throw new Error(`app menu: "${item.name}" needs an http(s) url`)
    return
  }
  throw new Error(`app menu: "${(item as { name: string }).name}" has type "${String((item as { type?: unknown }).type)}" (click or view)`)
}

/** Sets the app's menu, replacing the one set before; checked first. */
export async function createMenu(context: ClientContext, menu: AppMenu): Promise<void> {
  checkMenu(menu)
  await call(context, 'menu/create', { method: 'POST', query: { agentid: String(context.agentId) }, json: menu })
}

/** The app's menu as WeCom has it, or null when none is set. */
export async function getMenu(context: ClientContext): Promise<AppMenu | null> {
  try {
    const body = await call(context, 'menu/get', { method: 'GET', query: { agentid: String(context.agentId) } })
    return { button: toButtons(body.button) }
  } catch (error) {
    if (error instanceof WeComApiError && error.errcode === MENU_NOT_FOUND) return null
    throw error
  }
}

export async function deleteMenu(context: ClientContext): Promise<void> {
  await call(context, 'menu/delete', { method: 'GET', query: { agentid: String(context.agentId) } })
}

/** menu/get answers as menu/create was given; an empty `sub_button` beside a type means no sub-items. */
function toButtons(value: unknown): MenuButton[] {
  if (!Array.isArray(value)) return []
  return value.map((raw: Record<string, unknown>) => {
    const { sub_button: subs, ...item } = raw
    return (Array.isArray(subs) && subs.length > 0 ? { name: String(raw.name), sub_button: subs } : item) as MenuButton
  })
}
