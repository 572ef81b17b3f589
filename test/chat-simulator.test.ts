import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newDevCallbackFile, spawnService } from './helpers/service-process.js'
import { createTestDatabase, dialect, type TestDatabase } from './helpers/test-database.js'

describe(`npm run chat against npm start’s demo data on ${dialect}`, () => {
  let database: TestDatabase
  const env: Record<string, string> = {}

  beforeAll(async () => {
    database = await createTestDatabase()
    Object.assign(env, {
      DATABASE_URL: database.url,
      HOST: '127.0.0.1',
      DEV_CALLBACK_FILE: newDevCallbackFile(),
      QUIET_HOURS: 'off',
    })
  })
  afterAll(async () => {
    await database?.drop()
  })

  it('plays WeCom: sends signed, encrypted commands and prints the answers and the notices they caused', async () => {
    const service = spawnService({ ...env, PORT: '0' })
    const [, port] = await service.waitFor(/health:\s+http:\/\/localhost:(\d+)\/healthz/)
    expect(service.output()).toContain('npm run chat -- --as zhaolei "我的"')
    const chat = async (as: string, text: string) => {
      const run = spawnService({ ...env, PORT: port! }, 'src/cli/chat.ts', ['--as', as, text])
      return { code: await run.exited, output: run.output() }
    }
    try {
      const mine = await chat('zhaolei', '我的')
      expect(mine.code).toBe(0)
      expect(mine.output).toContain('→ 赵磊（zhaolei）：我的')
      expect(mine.output).toMatch(/← 我的台账（\d+ 项）/)
      const id = /🔴 #(\d+)/.exec(mine.output)![1]
      const done = await chat('zhaolei', `完成 ${id} 两个项目均已申报`)
      expect(done.output).toContain(`← 已标记 #${id} 整改完成，进度 100%。已通知组织部核实销号。`)
      expect(done.output).toContain(`另发给 王健(wangjian)：待核实销号 #${id}`)
      // The notice reaches the console transport of the running service too.
      // A card: printed with its buttons and task id, which --click plays a tap on (docs/cards.md).
      await service.waitFor(new RegExp(`控制台投递 \\(console delivery\\) #\\d+ → 王健\\(wangjian\\) \\[template_card\\]\\n待核实销号 #${id}`))
      // Tapped outside its buttons, the card opens the item on this service's dashboard.
      const [, taskId] = await service.waitFor(new RegExp(`\\[销号\\]\\(key=close:${id}\\) \\[退回\\]\\(key=return:${id}\\)\\n链接：http://localhost:${port}/dash/items/${id}\\n任务 (\\S+)`))
      const tap = spawnService({ ...env, PORT: port! }, 'src/cli/chat.ts', ['--as', 'wangjian', '--click', taskId!, `close:${id}`])
      expect(await tap.exited).toBe(0)
      expect(tap.output()).toMatch(new RegExp(`已销号 #${id}|#${id} 已销号`))
      await service.waitFor(/（更新已发出的卡片）\n待核实销号/)
    } finally {
      service.child.kill('SIGINT')
      await service.exited
    }
  })

  it('plays a photo and a location as evidence: the service reads the photo from the console media folder through the same download job', { timeout: 60_000 }, async () => {
    const media = mkdtempSync(join(tmpdir(), 'chat-media-'))
    const photo = join(media, '整改现场.jpg')
    writeFileSync(photo, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(20_000, 0x5a), Buffer.from([0xff, 0xd9])]))
    const withMedia = { ...env, CONSOLE_MEDIA_DIR: join(media, 'served') }
    const service = spawnService({ ...withMedia, PORT: '0' })
    const [, port] = await service.waitFor(/health:\s+http:\/\/localhost:(\d+)\/healthz/)
    const chat = async (as: string, args: string[]) => {
      const run = spawnService({ ...withMedia, PORT: port! }, 'src/cli/chat.ts', ['--as', as, ...args])
      return { code: await run.exited, output: run.output() }
    }
    try {
      const mine = await chat('zhaolei', ['我的'])
      const id = /[🔴🟡🟢] #(\d+)/u.exec(mine.output)![1]
      expect((await chat('zhaolei', [`佐证 ${id}`])).output).toContain(`30 分钟内发送的照片、语音、视频或位置都将附在 #${id}。`)
      const sent = await chat('zhaolei', ['--image', photo])
      expect(sent.code).toBe(0)
      expect(sent.output).toContain('→ 赵磊（zhaolei）：[照片 整改现场.jpg]')
      expect(sent.output).toMatch(new RegExp(`另发给 赵磊\\(zhaolei\\)：已收到照片 1 张，附在 #${id}`))
      const place = await chat('zhaolei', ['--location', '30.12,114.65,城关镇便民服务大厅'])
      expect(place.output).toContain('[位置 城关镇便民服务大厅（30.12, 114.65）]')
      // Downloaded from the folder by the service: 佐证 N 查看 sends it back, and console delivery saves it.
      let shown = ''
      for (let i = 0; i < 40 && !shown.includes('随后发送照片 1 张'); i += 1) {
        shown = (await chat('zhaolei', [`佐证 ${id} 查看`])).output
        if (!shown.includes('随后发送照片 1 张')) await new Promise((resolve) => setTimeout(resolve, 250))
      }
      expect(shown).toContain(`#${id} 佐证：照片 1、位置 1`)
      expect(shown).toContain('位置：城关镇便民服务大厅（30.12, 114.65）')
      expect(shown).toMatch(/另发给 赵磊\(zhaolei\)：\[图片\] 佐证-照片-\d{8}-\d{4}\.jpg/)
      // Stored under its evidence name, never the sender's own file name.
      await service.waitFor(/\[image\]\n\[图片\] 佐证-照片-\d{8}-\d{4}\.jpg（20006 字节）已保存到/)
      expect((await chat('zhaolei', ['--image', join(media, 'missing.jpg')])).output).toContain('找不到文件')
    } finally {
      service.child.kill('SIGINT')
      await service.exited
      rmSync(media, { recursive: true, force: true })
    }
  })

  it('finds the running service without --url: the service writes its callback URL into the dev callback file at every start', async () => {
    const service = spawnService({ ...env, PORT: '0' })
    const [, port] = await service.waitFor(/health:\s+http:\/\/localhost:(\d+)\/healthz/)
    expect(port).not.toBe('3000')
    try {
      const file = JSON.parse(readFileSync(env.DEV_CALLBACK_FILE!, 'utf8')) as Record<string, string>
      expect(file.url).toBe(`http://127.0.0.1:${port}/wecom/callback`)
      expect(Object.keys(file).sort()).toEqual(['aesKey', 'corpId', 'token', 'url'])
      // No PORT and no --url: the chat reads the address the service recorded.
      const run = spawnService(env, 'src/cli/chat.ts', ['--as', 'zhaolei', '我的'])
      expect(await run.exited).toBe(0)
      expect(run.output()).toMatch(/← 我的台账（\d+ 项）/)
    } finally {
      service.child.kill('SIGINT')
      await service.exited
    }
    // The service gone, the recorded address is named in the refusal.
    const stale = spawnService(env, 'src/cli/chat.ts', ['--as', 'zhaolei', '我的'])
    expect(await stale.exited).toBe(1)
    expect(stale.output()).toContain(`连不上 http://127.0.0.1:${port}/wecom/callback（服务上次启动时记下的地址）：请先在本目录运行 npm start（或用 --url 指定回调地址）。`)
  })

  it('a missing --as is answered with what is missing and the usage, exit code 1', async () => {
    const run = spawnService(env, 'src/cli/chat.ts', ['我的'])
    expect(await run.exited).toBe(1)
    expect(run.output()).toContain('缺少 --as：以谁（企业微信账号）的身份发送。\n\n用法： npm run chat -- [选项] [命令...]')
    expect(run.output()).toContain('--url <回调地址>')
  })

  it('explains what to do when the service is not running', async () => {
    const run = spawnService({ ...env, PORT: '1' }, 'src/cli/chat.ts', ['--as', 'zhaolei', '我的'])
    expect(await run.exited).toBe(1)
    expect(run.output()).toContain('请先在本目录运行 npm start')
  })

  it('answers --help in Chinese, with no service running and no configuration read', async () => {
    const run = spawnService({ ...env, PORT: '1' }, 'src/cli/chat.ts', ['--help'])
    expect(await run.exited).toBe(0)
    expect(run.output()).toContain('用法： npm run chat -- [选项] [命令...]')
    expect(run.output()).toMatch(/\n {2}--as <企业微信账号> +以谁的身份发送（必填）\n/)
    expect(run.output()).toContain('例：npm run chat -- --as zhaolei')
    expect(run.output()).not.toMatch(/Usage|Options|display help|\n\s+at /)
  })
})
