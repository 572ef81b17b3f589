import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { WeComApiError } from '../../wecom/errors.js'
import { MediaTooLargeError } from '../../wecom/media-download.js'
import type { WeComClient } from '../../wecom/wecom-client.js'
import type { FetchRefusal, MediaFetcher } from './download-evidence.js'

/** WeCom's answer for a media id it does not know, or no longer keeps (3 days). */
const UNKNOWN_MEDIA = 40007

/** Evidence from WeCom's media/get (docs/wecom.md, Media people send). */
export function wecomFetcher(client: WeComClient): MediaFetcher {
  return async (mediaId, maxBytes) => client.downloadMedia(mediaId, { maxBytes })
}

/** What no retry will change: a file over the limit, an id WeCom (or the console folder) does not have. */
export function fetchRefusal(error: unknown): FetchRefusal {
  if (error instanceof MediaTooLargeError) return 'too_large'
  if (error instanceof WeComApiError && error.errcode === UNKNOWN_MEDIA) return 'expired'
  if (error instanceof ConsoleMediaMissingError) return 'expired'
  return null
}

/** The console folder has no file for the id (the simulator never put it there, or it was removed). */
export class ConsoleMediaMissingError extends Error {
  constructor(mediaId: string) {
    super(`console media ${mediaId} is not in the media folder`)
    this.name = 'ConsoleMediaMissingError'
  }
}

/** What `npm run chat -- --image` writes beside the media: how WeCom would describe it. */
export interface ConsoleMediaFacts {
  contentType: string
  filename: string
}

/**
 * Console mode: the media `npm run chat` put in the folder (CONSOLE_MEDIA_DIR) under its id, with
 * `<id>.json` saying its type and name; the same limit as WeCom's client, checked before reading.
 */
export function consoleFetcher(directory: string): MediaFetcher {
  return async (mediaId, maxBytes) => {
    // The callback admits ids of letters, digits and _-@. only; none may name a directory.
    if (mediaId.startsWith('.')) throw new ConsoleMediaMissingError(mediaId)
    const path = join(directory, mediaId)
    const size = await stat(path).then(
      (s) => s.size,
      () => null,
    )
    if (size === null) throw new ConsoleMediaMissingError(mediaId)
    if (size > maxBytes) throw new MediaTooLargeError(size, maxBytes)
    const facts = JSON.parse(await readFile(`${path}.json`, 'utf8').catch(() => '{}')) as Partial<ConsoleMediaFacts>
    return { bytes: await readFile(path), contentType: facts.contentType ?? 'application/octet-stream', filename: facts.filename ?? null }
  }
}
