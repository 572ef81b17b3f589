import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { In, type DataSource } from 'typeorm'
import { ensureDirectory } from '../db/ensure-directory.js'
import { PersonSchema, type OutboxMessage } from '../db/entities/index.js'
import { describeCard } from '../wecom/describe-card.js'
import { isStoredFile, isStoredImage, toPlainText, type AppMessage } from '../wecom/messages.js'
import { isCardUpdate } from '../outbox/card-update.js'
import { readStoredFile } from '../outbox/stored-files.js'
import type { Transport } from './transport.js'

/**
 * Console delivery mode (no WeCom credentials): the same outbox and worker, but each message is
 * printed readably — recipients by name — and marked sent. A file is written to `fileDirectory`
 * (named by its stored id and name) and its path printed. What `npm start` uses on a fresh machine.
 */
export function createConsoleTransport(dataSource: DataSource, print: (text: string) => void, fileDirectory = 'data/files'): Transport {
  return {
    name: 'console',
    async send(row: OutboxMessage) {
      const recipients = JSON.parse(row.recipients) as { touser?: string[]; toparty?: string[]; totag?: string[]; chatid?: string; robot?: string }
      if (row.channel === 'recall') {
        print(`──── 控制台投递 (console delivery) #${row.id} 撤回消息 ${(JSON.parse(row.payload) as { msgid: string }).msgid}\n`)
        return { msgids: [], invalidUsers: [], unlicensedUsers: [] }
      }
      const payload: unknown = JSON.parse(row.payload)
      const message = payload as AppMessage
      const users = recipients.touser ?? []
      const people =
        users.length === 0 ? [] : await dataSource.getRepository(PersonSchema).find({ where: { userid: In(users) }, select: { userid: true, name: true } })
      const names = new Map(people.map((p) => [p.userid, p.name]))
      const to = [
        ...users.map((u) => (names.has(u) ? `${names.get(u)}(${u})` : u)),
        ...(recipients.toparty ?? []).map((p) => `部门${p}`),
        ...(recipients.totag ?? []).map((t) => `标签${t}`),
        ...(recipients.chatid ? [`群聊 ${recipients.chatid}`] : []),
        ...(recipients.robot ? [`群机器人 ${recipients.robot}`] : []),
      ].join('、')
      let body: string
      if (isStoredFile(message) || isStoredImage(message)) {
        const file = await readStoredFile(dataSource, isStoredFile(message) ? message.file.stored_file_id : message.image.stored_file_id)
        ensureDirectory(fileDirectory)
        const path = resolve(join(fileDirectory, `${file.id}-${file.filename}`))
        writeFileSync(path, file.content)
        body = `[${isStoredFile(message) ? '文件' : '图片'}] ${file.filename}（${file.byteSize} 字节）已保存到 ${path}`
      } else if (isCardUpdate(payload)) {
        body = `（更新已发出的卡片）\n${describeCard(payload.template_card)}`
      } else if (message.msgtype === 'template_card') {
        // The card itself, with its keys and task id, so that a tap can be played (npm run chat -- --click).
        body = describeCard(message.template_card)
      } else {
        const plain = toPlainText(message)
        body = plain.msgtype === 'text' ? plain.text.content : `[${message.msgtype}]`
      }
      print(`──── 控制台投递 (console delivery) #${row.id} → ${to} [${row.msgType}]\n${body}\n`)
      return { msgids: [`console-${row.id}`], invalidUsers: [], unlicensedUsers: [] }
    },
  }
}
