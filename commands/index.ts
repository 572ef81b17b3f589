import type { AnyCommand } from '../src/bot/define-command.js'
import { ack } from './ack.js'
import { circular } from './circular.js'
import { done } from './done.js'
import { approve, deny, extend } from './extend.js'
import { help } from './help.js'
import { backFromLeave, leave } from './leave.js'
import { myItems } from './my-items.js'
import { overdue } from './overdue.js'
import { phase } from './phase.js'
import { progress } from './progress.js'
import { register } from './register.js'
import { report } from './report.js'
import { showItem } from './show-item.js'
import { stats } from './stats.js'
import { close, reopen } from './verify.js'

/** Every chat command, listed explicitly. The registry refuses duplicate words at start-up. */
export const commands: readonly AnyCommand[] = [help, myItems, showItem, progress, done, close, reopen, extend, approve, deny, phase, overdue, stats, report, register, leave, backFromLeave, circular, ack]
