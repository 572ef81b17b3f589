import type { AnyCommand } from '../src/bot/define-command.js'
import { help } from './help.js'

/** Every chat command, listed explicitly. The registry refuses duplicate words at start-up. */
export const commands: readonly AnyCommand[] = [help]
