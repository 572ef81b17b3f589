import { expect } from 'vitest'
import { WeComApiError } from '../../src/wecom/errors.js'

/** The errcode a client call was refused with (it must be refused with a WeComApiError). */
export async function errcodeOf(promise: Promise<unknown>): Promise<number> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(WeComApiError)
  return (error as WeComApiError).errcode
}
