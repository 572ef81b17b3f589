import type { Config } from '../config/load-config.js'
import { describeDatabase } from '../config/database-url.js'
import type { DemoSummary } from '../domain/demo/seed-demo.js'

/** The short Chinese/English start-up banner printed on the terminal. */
export function formatBanner(config: Readonly<Config>, port: number, demo: DemoSummary | null, adminPort: number | null = null): string {
  const base = `http://localhost:${port}`
  const lines = [
    '',
    '为官不为专项治理 · 企业微信督办机器人 (WeCom supervision bot) 已启动',
    `  健康检查 health:     ${base}/healthz`,
    adminPort === null
      ? '  管理端口 admin:      未开启 (ADMIN_PORT=off)'
      : `  管理端口 admin:      http://${adminAddress(config.adminHost)}:${adminPort}/readyz  /metrics${config.adminToken ? '（需 Authorization: Bearer ADMIN_TOKEN）' : ''}`,
    config.wecom
      ? `  回调地址 callback:   ${base}${config.callbackPath}  （在企业微信管理后台「应用管理 → 自建应用 → 接收消息 → 设置API接收」填写它的公网 HTTPS 地址）`
      : `  回调地址 callback:   ${base}${config.callbackPath}（本机模拟用；配置 WECOM_* 凭据后接收企业微信消息）`,
    config.wecom
      ? config.dashboard.url
        ? `  督办看板 dashboard:  ${config.dashboard.url}/dash（通过企业微信登录）`
        : '  督办看板 dashboard:  未开启（设置 DASHBOARD_URL 和 DASHBOARD_SECRET 开启）'
      : `  督办看板 dashboard:  ${base}/dash（控制台模式：开发登录，可选择任一演示用户）`,
    `  数据库 database:     ${describeDatabase(config.database)}`,
    config.wecom
      ? `  投递 delivery:       企业微信 WeCom (corp ${config.wecom.corpId}, agent ${config.wecom.agentId}, ${config.wecomApiBase})`
      : '  投递 delivery:       控制台模式 console mode —— 未配置企业微信凭据，消息只打印在日志中，不会发出',
  ]
  if (demo) {
    lines.push(
      `  演示数据 demo:       已创建演示专项治理（${demo.units} 个参与单位、${demo.people} 人、${demo.ledgerItems} 条台账），演示用户 ${demo.sampleUsers.map((u) => `${u.userid}（${u.name}，${u.role}）`).join('、')}`,
    )
  }
  const tryAs = demo?.sampleUsers[0]?.userid ?? '<企业微信账号>'
  lines.push(
    `  试一试 try:          另开一个终端：npm run chat -- --as ${tryAs} "我的"`,
    '  按 Ctrl-C 退出 (press Ctrl-C to stop)',
    '',
  )
  return lines.join('\n')
}

/** Where to reach the admin listener from this machine. */
function adminAddress(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost'
  return host.includes(':') ? `[${host}]` : host
}
