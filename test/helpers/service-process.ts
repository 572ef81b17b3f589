import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach } from 'vitest'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Every variable the service reads, blanked, so a developer's own .env or shell cannot change a test. */
const BLANK_CONFIG = Object.fromEntries(
  [
    'DATABASE_URL',
    'PORT',
    'HOST',
    'WECOM_CORP_ID',
    'WECOM_AGENT_ID',
    'WECOM_SECRET',
    'WECOM_TOKEN',
    'WECOM_AES_KEY',
    'WECOM_API_BASE',
    'WECOM_CALLBACK_PATH',
    'DEMO_DATA',
    'PLAN',
    'LOG_LEVEL',
    'QUIET_HOURS',
    'WECOM_ROBOTS',
    'WECOM_CALLBACK_WINDOW',
    'ADMIN_HOST',
    'ADMIN_PORT',
    'ADMIN_TOKEN',
    'REMINDER_TIME',
    'MEETING_REMINDER_TIME',
    'MONTHLY_REPORT_TIME',
    'CIRCULAR_REMIND_AFTER',
    'CONSOLE_FILE_DIR',
    'DELIVERY_CONCURRENCY',
  ].map((name) => [name, '']),
)

/**
 * A path for console mode's local callback secrets (DEV_CALLBACK_FILE), never in the repository's
 * data/: in the suite's log-capture folder when there is one, so that the log scan knows these
 * random secrets too (test/log-capture/scan-logs.ts), else in a temporary folder.
 */
export function newDevCallbackFile(): string {
  const dir = process.env.LOG_CAPTURE_DIR ?? mkdtempSync(join(tmpdir(), 'dev-callback-'))
  return join(dir, `dev-callback-${process.pid}-${Math.random().toString(36).slice(2, 8)}.json`)
}

const DEV_CALLBACK_FILE = newDevCallbackFile()

export interface ServiceProcess {
  child: ChildProcess
  output(): string
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  exited: Promise<number | null>
}

const running = new Set<ChildProcess>()

// No process outlives its test, even one that failed or timed out before it could stop it.
afterEach(() => {
  for (const child of running) child.kill('SIGKILL')
  running.clear()
})

/** Runs `src/main.ts` (what `npm start` runs) as a real process with the given environment. */
export function spawnService(env: Record<string, string>, script = 'src/main.ts', args: string[] = []): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    // The admin listener on a free port: several services start at once in parallel test files.
    env: { ...process.env, ...BLANK_CONFIG, DEV_CALLBACK_FILE, ADMIN_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  child.once('exit', () => running.delete(child))
  let output = ''
  const listeners = new Set<() => void>()
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8')
    for (const listener of listeners) listener()
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern)
          if (match) {
            listeners.delete(check)
            clearTimeout(timer)
            resolve(match)
          }
        }
        const timer = setTimeout(() => {
          listeners.delete(check)
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${output}`))
        }, timeoutMs)
        listeners.add(check)
        void exited.then(() => setTimeout(() => {
          if (listeners.has(check)) {
            listeners.delete(check)
            clearTimeout(timer)
            reject(new Error(`process exited before ${pattern}; output:\n${output}`))
          }
        }, 50))
        check()
      })
    },
  }
}
