import type { LedgerCounts } from './figures.js'

/** The order the four states are read in (docs/figures.md). */
const STATES = [
  ['notStarted', '未开始'],
  ['inProgress', '整改中'],
  ['awaitingVerification', '已整改待销号'],
  ['closed', '已销号'],
] as const

/**
 * "台账 20 项：未开始 3，整改中 14，已整改待销号 1，已销号 2；逾期 3" — the one way a ledger's counts
 * are written for people. `change` adds a note after each figure (the notice's "（+2）").
 */
export function countsLine(counts: LedgerCounts, change: (key: keyof LedgerCounts) => string = () => ''): string {
  const states = STATES.map(([key, name]) => `${name} ${counts[key]}${change(key)}`).join('，')
  return `台账 ${counts.total} 项${change('total')}：${states}；逾期 ${counts.overdue}${change('overdue')}`
}

/** "50%", or "—" with nothing due yet. */
export function percent(rate: number | null): string {
  return rate === null ? '—' : `${Math.round(rate * 100)}%`
}
