/** How a command invocation ended (commands by name and outcome). */
export type CommandOutcome = 'ok' | 'bad_arguments' | 'denied' | 'failed' | 'unknown_command' | 'unregistered'

/** How the delivery of one outbox row ended (delivery worker). */
export type DeliveryOutcome = 'sent' | 'retried' | 'deferred' | 'dead' | 'skipped'

/**
 * What the service counts while it runs. The code that sees an event calls one of these; the
 * service passes the Prometheus implementation (create-metrics.ts), everything else NO_METRICS,
 * so the code stays testable without a registry.
 */
export interface Metrics {
  /** A WeCom callback was answered: url_verified, passive, outbox, late, duplicate, rejected:<code>, error. */
  callback(outcome: string): void
  /** A chat command ran (`command` is its name, `none` when no command was found). */
  command(command: string, outcome: CommandOutcome): void
  delivery(outcome: DeliveryOutcome): void
  /** WeCom answered errcode ≠ 0, or the request got no answer (errcode `network`, `timeout`, `http_502`, `parse`). */
  wecomError(api: string, errcode: number | string): void
  /** A reminder sweep ran for `seconds`; `trigger` is scheduled or catch_up (at start-up). */
  sweep(trigger: 'scheduled' | 'catch_up', seconds: number): void
  /** A message waits `seconds` for a per-member or per-robot rate limit instead of being dropped by WeCom. */
  rateLimitDelay(target: 'member' | 'robot', seconds: number): void
}

/** Counts nothing: the default wherever no metrics are given (CLI, tests of other things). */
export const NO_METRICS: Metrics = Object.freeze({
  callback() {},
  command() {},
  delivery() {},
  wecomError() {},
  sweep() {},
  rateLimitDelay() {},
})
