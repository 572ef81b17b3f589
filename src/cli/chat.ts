import type { Command } from 'commander'
import { MoreThan } from 'typeorm'
import { loadConfig } from '../config/load-config.js'
import { withEnvFile } from '../config/read-env-file.js'
import { openDatabase } from '../db/open-database.js'
import { InboundMessageSchema, OutboxMessageSchema, PersonSchema } from '../db/entities/index.js'
import { UserFacingError } from '../errors.js'
import { createLogger } from '../logger.js'
import { exitCode, chineseProgram } from './program.js'
import { runCli } from './run-cli.js'
import type { CallbackSecrets } from '../wecom/callback/open-callback.js'
import { readDevCallback } from '../service/dev-callback-secrets.js'
import { encodeCallback, openPassiveReply, randomMsgId, textMessageXml } from '../wecom/callback/wecom-sender.js'
import { isStoredFile, toPlainText, type AppMessage } from '../wecom/messages.js'

/**
 * The local chat simulator: plays WeCom against the running service (encrypted, signed
 * callback, exactly as WeCom sends it), then prints the answer and every message the command
 * caused, read from the outbox.
 */
const program = chineseProgram('npm run chat --', '本地聊天模拟：像企业微信一样向运行中的服务（npm start）发送一条加密、签名的消息，打印回复和它引起的每条消息。')
  .argument('[命令...]', '发给机器人的聊天命令，如「我的」「进度 12 60% 已完成初步整改」')
  .option('--as <企业微信账号>', '以谁的身份发送（必填）')
  .option('--url <回调地址>', '服务的回调地址（默认：服务启动时记入 DEV_CALLBACK_FILE 的地址，没有则为本机 PORT 上的 WECOM_CALLBACK_PATH）')
  .option('--wait <毫秒>', '等待命令处理完成的最长时间（默认 4000）')
  .addHelpText(
    'after',
    '\n例：npm run chat -- --as zhaolei "进度 12 60% 已完成初步整改"\n    npm run chat -- --as wangjian --url http://127.0.0.1:3100/wecom/callback "帮助"',
  )
  .action(exitCode(chat))

async function chat(words: string[], values: { as?: string; url?: string; wait?: string }, command: Command): Promise<number> {
  const text = words.join(' ').trim()
  if (!values.as) command.error('缺少 --as：以谁（企业微信账号）的身份发送。')
  if (!text) command.error('缺少命令内容。')
  if (values.url !== undefined && !URL.canParse(values.url)) command.error(`--url「${values.url}」不是有效的地址，例：http://127.0.0.1:3000/wecom/callback`)
  if (values.wait !== undefined && !/^\d+$/.test(values.wait)) command.error(`--wait「${values.wait}」应为毫秒数。`)
  const config = loadConfig(withEnvFile(process.env))
  const { secrets, url: recorded } = readSecrets(config)
  const url = values.url ?? recorded ?? `http://127.0.0.1:${config.port}${config.callbackPath}`
  const dataSource = await openDatabase(config.database, createLogger('warn'))
  try {
    const people = dataSource.getRepository(PersonSchema)
    const sender = await people.findOneBy({ userid: values.as })
    const watermark = (await dataSource.getRepository(OutboxMessageSchema).maximum('id')) ?? 0
    const msgId = randomMsgId()
    const signed = encodeCallback(secrets, textMessageXml(secrets.corpId, values.as, text, msgId, new Date()))
    const target = new URL(url)
    for (const [key, value] of Object.entries(signed.query)) target.searchParams.set(key, value)
    process.stdout.write(`→ ${sender ? `${sender.name}（${values.as}）` : values.as}：${text}\n`)
    let response: Response
    try {
      response = await fetch(target, { method: 'POST', body: signed.body, headers: { 'content-type': 'text/xml' } })
    } catch {
      throw new UserFacingError('unreachable', `连不上 ${url}${values.url === undefined && recorded ? '（服务上次启动时记下的地址）' : ''}：请先在本目录运行 npm start（或用 --url 指定回调地址）。`)
    }
    if (response.status !== 200) throw new UserFacingError('rejected', `服务回答 HTTP ${response.status}：检查本目录的配置是否与运行中的服务一致。`)
    const body = await response.text()
    if (body) process.stdout.write(`← ${openPassiveReply(secrets, body).content}\n`)
    const key = `msg:${msgId}:${values.as.toLowerCase()}`
    const deadline = Date.now() + Number(values.wait ?? 4000)
    let inbound = await dataSource.getRepository(InboundMessageSchema).findOneBy({ dedupeKey: key })
    while ((!inbound || inbound.status === 'received') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      inbound = await dataSource.getRepository(InboundMessageSchema).findOneBy({ dedupeKey: key })
    }
    const caused = await dataSource.getRepository(OutboxMessageSchema).find({ where: { id: MoreThan(watermark) }, order: { id: 'ASC' } })
    const names = new Map((await people.find({ select: { userid: true, name: true } })).map((p) => [p.userid, p.name]))
    const isAnswer = (row: (typeof caused)[number]) => inbound !== null && row.subjectKind === 'reply' && row.subjectId === inbound.id
    for (const row of caused) {
      const content = readable(JSON.parse(row.payload) as AppMessage)
      const recipients = (JSON.parse(row.recipients) as { touser?: string[] }).touser ?? []
      // The answer, and a file sent with it.
      if (isAnswer(row)) process.stdout.write(`← ${content}\n`)
      else process.stdout.write(`  另发给 ${recipients.map((u) => `${names.get(u) ?? u}(${u})`).join('、')}：${content.replaceAll('\n', '\n    ')}\n`)
    }
    if (!body && !caused.some(isAnswer)) process.stdout.write('（没有回复）\n')
    return 0
  } finally {
    await dataSource.destroy()
  }
}

function readable(message: AppMessage): string {
  if (isStoredFile(message)) return `[文件] ${message.file.filename}（服务的控制台输出写明保存位置）`
  const plain = toPlainText(message)
  return plain.msgtype === 'text' ? plain.text.content : `[${message.msgtype}]`
}

/**
 * The secrets to sign with and, in console mode, the callback URL the service wrote into the dev
 * callback file when it last started (null with WeCom credentials: the service then listens on PORT).
 */
function readSecrets(config: ReturnType<typeof loadConfig>): { secrets: CallbackSecrets; url: string | null } {
  if (config.wecom) return { secrets: { token: config.wecom.token, aesKey: config.wecom.aesKey, corpId: config.wecom.corpId }, url: null }
  const local = readDevCallback(config.devCallbackFile)
  if (!local) throw new UserFacingError('no_secrets', `没有找到本机回调密钥 ${config.devCallbackFile}：请先在本目录运行 npm start（控制台模式会生成它）。`)
  return local
}

runCli(program)
