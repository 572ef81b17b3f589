import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DataSource } from 'typeorm'
import { createApp } from '../src/http/create-app.js'
import { createLogger } from '../src/logger.js'
import { seedLedger } from './helpers/ledger-fixture.js'
import { createMigratedDatabase, dialect, type MigratedDatabase } from './helpers/test-database.js'

const NOW = new Date('2015-08-31T09:00:00+08:00')

/**
 * The dashboard in a real browser (Debian's chromium through playwright-core; .ci/run installs
 * it): readable on a phone in WeCom's browser (390 px, no horizontal scrolling) and on a desk.
 * Expressions are passed to the page as strings: the project compiles without the DOM's types.
 */
describe(`the dashboard in chromium, on ${dialect}`, () => {
  let db: MigratedDatabase
  let ds: DataSource
  let server: Server
  let base: string
  let browser: Browser

  beforeAll(async () => {
    db = await createMigratedDatabase()
    ds = db.dataSource
    await seedLedger(ds)
    const app = createApp({ dataSource: ds, logger: createLogger('silent'), deliveryMode: 'console', now: () => NOW, dashboard: { secret: 'browser-test-secret-of-32-characters', publicUrl: 'http://localhost', wecom: null } })
    server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] })
  })
  afterAll(async () => {
    await browser?.close()
    await new Promise((resolve) => server?.close(resolve))
    await db?.close()
  })

  /** A new page at this width, signed in through console mode's development login as 王健. */
  async function signedIn(width: number) {
    const page = await browser.newPage({ viewport: { width, height: 844 } })
    await page.goto(`${base}/dash`)
    expect(page.url()).toBe(`${base}/dash/login?next=%2Fdash`)
    await page.getByRole('button', { name: /^王健/ }).click()
    await page.waitForURL(`${base}/dash`)
    return page
  }

  it('on a phone (390 px): no horizontal scrolling, both charts drawn within the width, the units table in reach', async () => {
    const page = await signedIn(390)
    expect(await page.title()).toBe('总览 · 专项治理督办')
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390)
    const charts = (await page.evaluate("[...document.querySelectorAll('figure.chart svg')].map((svg) => Math.round(svg.getBoundingClientRect().width))")) as number[]
    expect(charts).toHaveLength(2)
    for (const width of charts) expect(width).toBeLessThanOrEqual(366)
    // The category chart draws each category's name.
    const labels = (await page.evaluate("[...document.querySelectorAll('#categories svg text')].map((t) => t.textContent)")) as string[]
    expect(labels.some((label) => label.includes('（一）') || label.includes('担当'))).toBe(true)
    await expect(page.getByRole('cell', { name: '城关镇' }).isVisible()).resolves.toBe(true)
    await page.close()
  })

  it('on a desk (1280 px): sorting by a column header and the filter form work without script', async () => {
    const page = await signedIn(1280)
    await page.getByRole('link', { name: /^单位/ }).click()
    expect(new URL(page.url()).searchParams.get('sort')).toBe('name')
    await page.getByPlaceholder('搜索单位').fill('后港')
    await page.getByRole('button', { name: '筛选' }).click()
    const names = (await page.evaluate("[...document.querySelectorAll('table.units tbody tr td:nth-child(2)')].map((td) => td.textContent)")) as string[]
    expect(names).toEqual(['后港镇'])
    await page.close()
  })
})
