import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Captures every log line of the run and fails it when a secret was logged.
    globalSetup: ['test/log-capture/global-setup.ts'],
  },
})
