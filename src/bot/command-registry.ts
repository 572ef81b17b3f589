import { closest, distance } from 'fastest-levenshtein'
import type { Role } from '../db/entities/index.js'
import type { AnyCommand, CommandRegistry } from './define-command.js'

export type { CommandRegistry } from './define-command.js'

/** Lists the commands; refuses at start-up two commands that answer to the same word. */
export function createCommandRegistry(all: readonly AnyCommand[]): CommandRegistry {
  const byWord = new Map<string, AnyCommand>()
  for (const command of all) {
    for (const word of [command.name, ...command.aliases]) {
      const key = word.toLowerCase()
      const clash = byWord.get(key)
      if (clash) throw new Error(`command word "${word}" is used by both ${clash.name} and ${command.name}`)
      byWord.set(key, command)
    }
  }
  const isAllowed = (command: AnyCommand, roles: readonly Role[]) =>
    command.roles === 'everyone' || command.roles.some((role) => roles.includes(role))
  return {
    all,
    find: (word) => byWord.get(word.toLowerCase()),
    suggest(word) {
      const typed = word.toLowerCase()
      const nearest = closest(typed, [...byWord.keys()])
      // Close enough: at most a third of the word wrong, and never a guess for one letter.
      return distance(typed, nearest) <= Math.max(1, Math.floor([...word].length / 3)) ? byWord.get(nearest) : undefined
    },
    allowedFor: (roles) => all.filter((command) => isAllowed(command, roles)),
    isAllowed,
  }
}

export const ROLE_NAMES: Record<Role, string> = {
  org_admin: '组织部（干部监督科）',
  inspector: '专项检查组',
  unit_head: '第一责任人',
  leader: '分管领导',
  liaison: '联络员',
  staff: '具体责任人',
  meeting_member: '联席会议成员',
}
