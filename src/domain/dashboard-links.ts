/**
 * Where the dashboard's pages are, when the dashboard is on (docs/dashboard.md, Links): chat
 * answers and cards that are about an item link to its page. Made once from the configured
 * public address and passed to what writes such messages.
 */
export interface DashboardLinks {
  /** The dashboard's home (总览). */
  home: string
  item(id: number): string
}

/**
 * The links under `publicUrl`; null when the dashboard is off. A function is asked each time: in
 * console mode the address is the port the service got, known once it listens.
 */
export function dashboardLinks(publicUrl: string | (() => string) | null | undefined): DashboardLinks | null {
  if (!publicUrl) return null
  const base = () => (typeof publicUrl === 'string' ? publicUrl : publicUrl()).replace(/\/+$/, '')
  return {
    get home() {
      return `${base()}/dash`
    },
    item: (id) => `${base()}/dash/items/${id}`,
  }
}
