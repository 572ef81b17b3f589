import { randomBytes } from 'node:crypto'
import { copyFileSync, statSync, writeFileSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import { ensureDirectory } from '../db/ensure-directory.js'
import type { ConsoleMediaFacts } from '../domain/evidence/media-fetchers.js'
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
import { isCardUpdate } from '../outbox/card-update.js'
import { readDevCallback } from '../service/dev-callback-secrets.js'
import { decryptCallback } from '../wecom/callback/callback-crypto.js'
import { parseInbound } from '../wecom/callback/inbound-message.js'
import { cdata, parseWeComXml, xmlText, type XmlFields } from '../wecom/callback/parse-xml.js'
import { encodeCallback, openPassiveReply, randomMsgId, textMessageXml } from '../wecom/callback/wecom-sender.js'
import { describeCard } from '../wecom/describe-card.js'
import { isStoredFile, isStoredImage, toPlainText, type AppMessage } from '../wecom/messages.js'

/**
 * The local chat simulator: plays WeCom against the running service (encrypted, signed
 * callback, exactly as WeCom sends it) — a text message, a tap on a card's button or a tap on
 * the app's menu — then prints the answer and every message it caused, read from the outbox.
 */
const program = chineseProgram('npm run chat --', '本地聊天模拟：像企业微信一样向运行中的服务（npm start）发送一条加密、签名的消息，打印回复和它引起的每条消息。')
  .argument('[命令...]', '发给机器人的聊天命令，如「我的」「进度 12 60% 已完成初步整改」')
  .option('--as <企业微信账号>', '以谁的身份发送（必填）')
  .option('--url <回调地址>', '服务的回调地址（默认：服务启动时记入 DEV_CALLBACK_FILE 的地址，没有则为本机 PORT 上的 WECOM_CALLBACK_PATH）')
  .option('--click <任务编号>', '点击卡片上的按钮：卡片的任务编号，后面写按钮的 key（控制台投递的卡片上都有）')
  .option('--select <选项编号>', '与 --click 同用：点击前在卡片的下拉选择中选中的选项（id）')
  .option('--menu <key>', '点击应用菜单中的一项，如 menu:todo')
  .option('--image <文件>', '发送一张照片（整改佐证；控制台模式）')
  .option('--voice <文件>', '发送一条语音（amr；控制台模式）')
  .option('--video <文件>', '发送一段视频（控制台模式）')
  .option('--location <纬度,经度[,地名]>', '发送一个位置，如 30.12,114.65,城关镇便民服务大厅')
  .option('--wait <毫秒>', '等待命令处理完成的最长时间（默认 4000）')
  .addHelpText(
    'after',
    '\n例：npm run chat -- --as zhaolei "进度 12 60% 已完成初步整改"\n    npm run chat -- --as wangjian --url http://127.0.0.1:3100/wecom/callback "帮助"' +
      '\n    npm run chat -- --as lina --click c1a2b3c4 done --select 12\n    npm run chat -- --as lina --menu menu:todo' +
      '\n    npm run chat -- --as lina --image photo.jpg\n    npm run chat -- --as lina --location 30.12,114.65,城关镇便民服务大厅',
  )
  .action(exitCode(chat))

interface ChatValues {
  as?: string
  url?: string
  wait?: string
  click?: string
  select?: string
  menu?: string
  image?: string
  voice?: string
  video?: string
  location?: string
}

/** What is posted: the decrypted XML WeCom would send, and how the simulator shows it. */
interface Played {
  xml: string
  shown: string
}

async function chat(words: string[], values: ChatValues, command: Command): Promise<number> {
  if (!values.as) command.error('缺少 --as：以谁（企业微信账号）的身份发送。')
  checkTap(words, values, command)
  const media = checkMedia(words, values, command)
  const text = words.join(' ').trim()
  if (values.click === undefined && values.menu === undefined && !media && !text) command.error('缺少命令内容。')
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
    if (media && config.wecom) command.error('--image、--voice、--video 和 --location 只能在控制台模式使用：配置了企业微信时，服务从企业微信下载照片。')
    const played = media
      ? playMedia(secrets.corpId, String(config.wecom?.agentId ?? 1000002), values.as, media, config.consoleMediaDirectory, new Date())
      : play(secrets.corpId, String(config.wecom?.agentId ?? 1000002), values.as, text, values, new Date())
    const signed = encodeCallback(secrets, played.xml)
    const target = new URL(url)
    for (const [key, value] of Object.entries(signed.query)) target.searchParams.set(key, value)
    process.stdout.write(`→ ${sender ? `${sender.name}（${values.as}）` : values.as}：${played.shown}\n`)
    let response: Response
    try {
      response = await fetch(target, { method: 'POST', body: signed.body, headers: { 'content-type': 'text/xml' } })
    } catch {
      throw new UserFacingError('unreachable', `连不上 ${url}${values.url === undefined && recorded ? '（服务上次启动时记下的地址）' : ''}：请先在本目录运行 npm start（或用 --url 指定回调地址）。`)
    }
    if (response.status !== 200) throw new UserFacingError('rejected', `服务回答 HTTP ${response.status}：检查本目录的配置是否与运行中的服务一致。`)
    const body = await response.text()
    if (body) process.stdout.write(`← ${passiveReply(secrets, body)}\n`)
    // The key the service stores the message under (InboundMessage.dedupeKey), however it is made.
    const key = parseInbound(played.xml).dedupeKey
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
      const content = readable(JSON.parse(row.payload))
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

/** A tap needs what it taps (--click with one button key, --menu with nothing else); --select goes only with --click. */
function checkTap(words: string[], values: ChatValues, command: Command): void {
  if (values.click !== undefined && values.menu !== undefined) command.error('--click 与 --menu 只能用其一。')
  if (values.select !== undefined && values.click === undefined) command.error('--select 只能与 --click 同用。')
  if (values.click !== undefined && words.length !== 1) {
    command.error(`--click 的任务编号之后应写一个按钮的 key（收到 ${words.length} 个），例：npm run chat -- --as lina --click c1a2b3c4 done`)
  }
  if (values.menu !== undefined && words.length > 0) command.error('--menu 之后不再写命令内容。')
}

/** A photo, voice note, video (a file to read) or location (its figures) to play. */
type MediaToPlay = { kind: 'image' | 'voice' | 'video'; path: string } | { kind: 'location'; latitude: string; longitude: string; label: string }

/** The simulator plays files up to this size: larger than the service's limit (20 MB at most), to try it. */
const MAX_PLAYED_BYTES = 100 * 1024 * 1024

/** At most one media option, alone (no command words, no tap). */
function checkMedia(words: string[], values: ChatValues, command: Command): MediaToPlay | null {
  const given = (['image', 'voice', 'video', 'location'] as const).filter((kind) => values[kind] !== undefined)
  if (given.length === 0) return null
  if (given.length > 1) command.error('--image、--voice、--video、--location 一次只能用一个。')
  if (words.length > 0 || values.click !== undefined || values.menu !== undefined) command.error('发送照片、语音、视频或位置时不再写命令内容，也不能同时点击。')
  const kind = given[0]!
  if (kind !== 'location') {
    const path = values[kind]!
    const size = (() => {
      try {
        return statSync(path).isFile() ? statSync(path).size : -1
      } catch {
        return -1
      }
    })()
    if (size <= 0) command.error(`找不到文件「${path}」（或它是空的）。`)
    if (size > MAX_PLAYED_BYTES) command.error(`文件「${path}」超过 100 MB，模拟器不发送。`)
    return { kind, path }
  }
  const [latitude = '', longitude = '', ...label] = values.location!.split(/[,，]/).map((part) => part.trim())
  const coordinate = /^[+-]?\d{1,3}(?:\.\d{1,20})?$/
  if (!coordinate.test(latitude) || !coordinate.test(longitude) || Math.abs(Number(latitude)) > 90 || Math.abs(Number(longitude)) > 180) {
    command.error(`--location「${values.location}」应为 纬度,经度[,地名]，例：30.12,114.65,城关镇便民服务大厅`)
  }
  return { kind, latitude, longitude, label: label.join(',').slice(0, 200) }
}

/** Content types by extension, as WeCom's media/get would give them. */
const CONTENT_TYPES: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', amr: 'audio/amr', mp3: 'audio/mpeg', mp4: 'video/mp4' }

/**
 * A media message as WeCom would post it. A file is put where console mode's download job reads
 * it (CONSOLE_MEDIA_DIR, docs/evidence.md, Console mode): under a fresh media id, with `<id>.json`
 * saying its type and name.
 */
function playMedia(corpId: string, agentId: string, from: string, media: MediaToPlay, directory: string, at: Date): Played {
  const head = (type: string) =>
    `<xml><ToUserName>${cdata(corpId)}</ToUserName><FromUserName>${cdata(from)}</FromUserName><CreateTime>${Math.floor(at.getTime() / 1000)}</CreateTime><MsgType>${cdata(type)}</MsgType>`
  const tail = `<MsgId>${randomMsgId()}</MsgId><AgentID>${agentId}</AgentID></xml>`
  if (media.kind === 'location') {
    const xml = `${head('location')}<Location_X>${media.latitude}</Location_X><Location_Y>${media.longitude}</Location_Y><Scale>15</Scale><Label>${cdata(media.label)}</Label>${tail}`
    return { xml, shown: `[位置 ${media.label || '（无地名）'}（${media.latitude}, ${media.longitude}）]` }
  }
  const mediaId = `console-${randomBytes(18).toString('base64url')}`
  const filename = basename(media.path)
  ensureDirectory(directory)
  copyFileSync(media.path, join(directory, mediaId))
  const facts: ConsoleMediaFacts = { contentType: CONTENT_TYPES[extname(filename).slice(1).toLowerCase()] ?? 'application/octet-stream', filename }
  writeFileSync(join(directory, `${mediaId}.json`), JSON.stringify(facts))
  const fields = {
    image: `<PicUrl>${cdata('')}</PicUrl><MediaId>${cdata(mediaId)}</MediaId>`,
    voice: `<MediaId>${cdata(mediaId)}</MediaId><Format>${cdata('amr')}</Format>`,
    video: `<MediaId>${cdata(mediaId)}</MediaId><ThumbMediaId>${cdata('')}</ThumbMediaId>`,
  }[media.kind]
  const names = { image: '照片', voice: '语音', video: '视频' }
  return { xml: `${head(media.kind)}${fields}${tail}`, shown: `[${names[media.kind]} ${filename}]` }
}

/** The message, card tap or menu tap as WeCom would send it, decrypted (docs/wecom.md, Callback messages). */
function play(corpId: string, agentId: string, from: string, text: string, values: ChatValues, at: Date): Played {
  const head = (event: string, key: string) =>
    `<xml><ToUserName>${cdata(corpId)}</ToUserName><FromUserName>${cdata(from)}</FromUserName>` +
    `<CreateTime>${Math.floor(at.getTime() / 1000)}</CreateTime><MsgType>${cdata('event')}</MsgType>` +
    `<Event>${cdata(event)}</Event><EventKey>${cdata(key)}</EventKey>`
  if (values.menu !== undefined) return { xml: `${head('click', values.menu)}<AgentID>${agentId}</AgentID></xml>`, shown: `[点击菜单 ${values.menu}]` }
  if (values.click === undefined) return { xml: textMessageXml(corpId, from, text, randomMsgId(), at), shown: text }
  // Each tap has a fresh one-time code (docs/cards.md); our cards' drop-down is the question "item".
  const selected = values.select === undefined ? '' : `<SelectedItems><SelectedItem><QuestionKey>${cdata('item')}</QuestionKey><OptionIds><OptionId>${cdata(values.select)}</OptionId></OptionIds></SelectedItem></SelectedItems>`
  const xml =
    `${head('template_card_event', text)}<TaskId>${cdata(values.click)}</TaskId><CardType>${cdata('button_interaction')}</CardType>` +
    `<ResponseCode>${cdata(randomBytes(24).toString('base64url'))}</ResponseCode><AgentID>${agentId}</AgentID>${selected}</xml>`
  return { xml, shown: `[点击卡片 ${values.click} 的按钮 ${text}${values.select === undefined ? '' : `，选择 ${values.select}`}]` }
}

/** The service's answer within the callback: a text, or a change to the tapped card. */
function passiveReply(secrets: CallbackSecrets, body: string): string {
  const reply = openPassiveReply(secrets, body)
  if (reply.msgType === 'text') return reply.content
  const inner = parseWeComXml(decryptCallback(secrets.aesKey, xmlText(parseWeComXml(body), 'Encrypt') ?? '', secrets.corpId))
  if (reply.msgType === 'update_button') return `[按钮变为「${xmlText((inner.Button ?? {}) as XmlFields, 'ReplaceName') ?? ''}」]`
  if (reply.msgType === 'update_template_card') return `[卡片已更新]`
  return `[${reply.msgType}]`
}

function readable(payload: unknown): string {
  if (isCardUpdate(payload)) return `（更新已发出的卡片）\n${describeCard(payload.template_card)}`
  const message = payload as AppMessage
  if (isStoredFile(message)) return `[文件] ${message.file.filename}（服务的控制台输出写明保存位置）`
  if (isStoredImage(message)) return `[图片] ${message.image.filename}（服务的控制台输出写明保存位置）`
  // The card with its keys and task id: what the next --click needs.
  if (message.msgtype === 'template_card') return describeCard(message.template_card)
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
