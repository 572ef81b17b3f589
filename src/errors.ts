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
 * Something a person typed is wrong. Its message is Chinese, says what was wrong and the
 * correct form with an example, and is shown to them as it is (docs/architecture.md, How the code is built).
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
 * The thing asked for cannot be done as things stand (someone else got there first, the item is
 * closed): what was typed was right, so the answer says what happened and by whom, without the
 * command's usage.
 */
export class StateConflictError extends UserFacingError {
  constructor(code: string, message: string) {
    super(code, message)
    this.name = 'StateConflictError'
  }
}
