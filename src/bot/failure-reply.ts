import { text } from '../wecom/messages.js'

/** What a person is told when their message could not be handled, or its answer not stored. */
export const FAILURE_REPLY = text('抱歉，处理这条消息时出错，结果未能确认。请稍后发送「我的」或「详情 编号」核对，必要时再发一次；如仍有问题请联系县委组织部干部监督科。')
