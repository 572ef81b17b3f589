import { defineConfig } from 'vitest/config'

/**
 * The fault suite (`npm run test:faults`): test/faults/*.fault.ts kill, stop and restart real
 * processes against one database and the fake WeCom server, so the files run one after another
 * in forked processes, each test bounded in time. `npm test` does not pick them up (its files
 * end in .test.ts).
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.fault.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
})
