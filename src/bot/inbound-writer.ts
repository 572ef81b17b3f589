import type { DataSource } from 'typeorm'
import { InboundStoredError, insertInbound, insertInboundRows, type NewInbound } from './inbound-store.js'

/** One message waiting to be stored. */
export interface PendingInbound {
  /** Its id once stored (and committed), null when its key was there already (a retry, or another replica's copy). */
  stored: Promise<number | null>
  /**
   * Takes the message back if it is still waiting for its batch: true then, and `stored`
   * rejects with WithdrawnError, the message never written. False once its batch is on its way.
   */
  withdraw(): boolean
}

/** The message was taken back before it was written (its request was answered 503: WeCom retries it). */
export class WithdrawnError extends Error {}

export interface InboundWriter {
  insert(row: NewInbound): PendingInbound
}

export interface InboundWriterOptions {
  /** Statements in flight at once, default 2: each takes what arrived while the others ran. */
  concurrency?: number
  /** The most messages in one statement, default 100. */
  maxBatch?: number
  /** Read the ids with RETURNING (SQLite, MariaDB) or a SELECT (MySQL); default by the database. */
  returning?: boolean
}

interface Waiting {
  row: NewInbound
  resolve: (id: number | null) => void
  reject: (error: unknown) => void
}

/**
 * Group commit of the callback's first write (docs/callback-speed.md): the messages that arrived
 * in one turn of the event loop, and those that arrive while the statement slots are busy, are
 * written together, in one multi-row INSERT. No timer: a message alone waits for nothing but the
 * end of the turn, and under load a statement (and its commit, its fsync) carries many. Each message's
 * promise resolves only after the statement that stored it was committed. A batch that fails is
 * written again one message at a time, so a failure (a duplicate key, the database gone) fails
 * exactly the messages that were not stored, each as it would have failed alone.
 */
export function createInboundWriter(dataSource: DataSource, options: InboundWriterOptions = {}): InboundWriter {
  const concurrency = options.concurrency ?? 2
  const maxBatch = options.maxBatch ?? 100
  const queue: Waiting[] = []
  let running = 0
  let scheduled = false

  /**
   * Writes on the next turn of the event loop (setImmediate: after the requests whose bytes
   * arrived in the same turn were read), so that messages arriving together share a statement
   * even where a statement never waits for I/O (SQLite runs it synchronously).
   */
  function schedule(): void {
    if (scheduled) return
    scheduled = true
    setImmediate(() => {
      scheduled = false
      pump()
    })
  }

  function pump(): void {
    while (running < concurrency && queue.length > 0) {
      const batch = queue.splice(0, maxBatch)
      running += 1
      void write(batch).finally(() => {
        running -= 1
        schedule()
      })
    }
  }

  async function write(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) return writeEach(batch)
    let ids: Map<string, number>
    try {
      ids = await insertInboundRows(
        dataSource,
        batch.map((waiting) => waiting.row),
        options.returning,
      )
    } catch (error) {
      // Stored, but the ids could not be read (MySQL): WeCom's retry finds each one stored.
      // SQLite's lock held by another process: each message again would wait its busy timeout in
      // turn, the whole service frozen meanwhile (docs/callback-speed.md).
      if (error instanceof InboundStoredError || isSqliteBusy(error)) {
        for (const waiting of batch) waiting.reject(error)
        return
      }
      // Nothing of the batch was stored (one statement): each message on its own.
      return writeEach(batch)
    }
    for (const waiting of batch) {
      const id = ids.get(waiting.row.dedupeKey)
      if (id === undefined) waiting.reject(new InboundStoredError('stored, but its id was not read back'))
      else waiting.resolve(id)
    }
  }

  async function writeEach(batch: Waiting[]): Promise<void> {
    await Promise.all(batch.map((waiting) => insertInbound(dataSource, waiting.row).then(waiting.resolve, waiting.reject)))
  }

  return {
    insert(row) {
      let waiting!: Waiting
      const stored = new Promise<number | null>((resolve, reject) => (waiting = { row, resolve, reject }))
      queue.push(waiting)
      schedule()
      return {
        stored,
        withdraw() {
          const at = queue.indexOf(waiting)
          if (at === -1) return false
          queue.splice(at, 1)
          waiting.reject(new WithdrawnError('withdrawn before it was stored'))
          return true
        },
      }
    },
  }
}

function isSqliteBusy(error: unknown): boolean {
  const code = (error as { driverError?: { code?: unknown } } | null)?.driverError?.code
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY')
}
