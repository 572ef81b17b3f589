import { defineConfig } from 'vitest/config'

/**
 * The fault suite (`npm run test:faults`): tests in test/faults/*.fault.ts, which `npm test`
 * does not pick up. Each file runs on its own, one after another (they start servers, proxies
 * and workers, and measure latencies that a neighbour would disturb); every test is bounded.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.fault.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
})
