import type { EntityManager } from 'typeorm'
import type { Logger } from '../logger.js'
import type { WeComInbound } from '../wecom/callback/inbound-message.js'
import { text } from '../wecom/messages.js'
import { createDispatcherContext, type DispatchResult, type DispatcherContext, type DispatcherDependencies } from './dispatcher-context.js'
import { greet } from './greet.js'
import { handleCardTap } from './card-tap.js'
import { menuCommand } from './app-menu.js'
import type { Sender } from './load-sender.js'
import { runCommandText } from './run-command.js'
import { runText } from './run-text.js'
import { handleMedia } from './receive-media.js'

export type { DispatchResult, DispatcherDependencies } from './dispatcher-context.js'

export interface Dispatcher {
  /**
   * Handles a message. Given `manager` (the callback's transaction, which also records the
   * message's outcome), the command runs inside it, in a savepoint: its change commits with the
   * outcome or not at all. Without one, the command gets a transaction of its own.
   */
  dispatch(message: WeComInbound, logger: Logger, manager?: EntityManager): Promise<DispatchResult>
  /**
   * Runs a command as typed by `sender` (the dashboard's actions, docs/dashboard.md): the same
   * permissions, history and notices as chat, in a transaction of its own. An open question is
   * left alone: this is not a chat reply.
   */
  runAs(sender: Sender, content: string, logger: Logger): Promise<DispatchResult>
}

const ONLY_TEXT = '目前只能识别文字命令。请发送「帮助」查看可用命令。'

/**
 * Turns a verified WeCom message into a command invocation: resolves the sender against the
 * roster, finds the command (or suggests the closest), checks who may run it, parses the
 * arguments, runs it with a small context, and returns the answer. Events: entering the app
 * gets a greeting with the featured commands, at most once a day per person.
 */
export function createDispatcher(dependencies: DispatcherDependencies): Dispatcher {
  const context = createDispatcherContext(dependencies)
  return {
    dispatch: (message, logger, manager) => dispatch(context, message, logger, manager),
    runAs: (sender, content, logger) => runCommandText(context, sender, content, logger),
  }
}

async function dispatch(context: DispatcherContext, message: WeComInbound, logger: Logger, manager?: EntityManager): Promise<DispatchResult> {
  switch (message.kind) {
    case 'text':
      return runText(context, message.content, message.from, logger, manager)
    case 'event':
      if (message.event === 'enter_agent' || message.event === 'subscribe') return greet(context, message, logger, manager)
      if (message.event === 'template_card_event') return handleCardTap(context, message, logger, manager)
      if (message.event === 'click') {
        // The app menu (docs/cards.md, The menu): each item runs the command it names.
        const command = menuCommand(message.eventKey)
        if (command) return runText(context, command, message.from, logger, manager)
      }
      return { reply: null, status: 'ignored', outcome: `event:${message.event}` }
    case 'media':
      // An image, voice, video or location: evidence of rectification (docs/evidence.md).
      return handleMedia(context, message, manager)
    case 'other':
      return { reply: text(ONLY_TEXT), status: 'ignored', outcome: `unsupported:${message.msgType}` }
  }
}
