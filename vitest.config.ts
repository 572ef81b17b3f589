import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Captures every log line of the run and fails it when a secret was logged (issue 9).
    globalSetup: ['test/log-capture/global-setup.ts'],
  },
})
