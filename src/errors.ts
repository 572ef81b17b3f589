import type { DataSource } from 'typeorm'

/**
 * Errors typed by where they came from (docs/architecture.md, How the code is built). Each carries a stable `code`.
 * ConfigError and StartupError stop the service with their message alone: the message says
 * what is wrong and how to fix it, so no stack trace is needed (or printed) for them.
 */
export class ConfigError extends Error {
  readonly code = 'config_invalid'
  constructor(readonly problems: readonly string[]) {
    super(
      `配置有误，服务未启动（configuration invalid）：\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        '请修改环境变量或 .env 文件后重试；变量说明见 README.md「配置」一节。',
    )
    this.name = 'ConfigError'
  }
}

/** A problem found while starting (database unreachable, bad plan file): message names the fix. */
export class StartupError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'StartupError'
  }
}

/** True for errors whose message is meant for the operator as it is. */
export function isOperatorFacing(error: unknown): error is ConfigError | StartupError {
  return error instanceof ConfigError || error instanceof StartupError
}

/**
 * Something a person typed could not be read: a piece missing, or not in any form the command
 * knows. Its message is Chinese and says what was wrong; the answer adds the command's usage and
 * an example (docs/chat-input.md). Refusals of well-formed requests are RefusalErrors.
 */
export class UserFacingError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'UserFacingError'
  }
}

/**
 * What was typed was read, but it cannot be done as things stand: the item is closed or not the
 * sender's, the number names nothing, no campaign is running, the date is past. The message says
 * why and what to do instead, and is answered without the command's usage (docs/chat-input.md).
 */
export class RefusalError extends UserFacingError {
  constructor(
    code: string,
    message: string,
    /**
     * Written although the command was refused, after its own writes were taken back: what the
     * refusal's message promises (完成 without required evidence opens the window it asks the photos
     * in, docs/evidence.md). Runs in the message's transaction.
     */
    readonly afterwards?: (db: DataSource) => Promise<void>,
  ) {
    super(code, message)
    this.name = 'RefusalError'
  }
}

/**
 * A refusal because someone else got there first (the item was closed, the request decided):
 * the message says what happened, by whom and when (docs/concurrency.md).
 */
export class StateConflictError extends RefusalError {
  constructor(code: string, message: string, afterwards?: (db: DataSource) => Promise<void>) {
    super(code, message, afterwards)
    this.name = 'StateConflictError'
  }
}
