import type { DataSource } from 'typeorm'
import type { Config } from '../config/load-config.js'
import { createWeComClient } from '../wecom/wecom-client.js'
import { createConsoleTransport } from './console-transport.js'
import type { Transport } from './transport.js'
import { createWeComTransport } from './wecom-transport.js'

/** WeCom when credentials are configured, otherwise console delivery mode. */
export function createTransport(config: Readonly<Config>, dataSource: DataSource, print: (text: string) => void): Transport {
  if (!config.wecom) return createConsoleTransport(dataSource, print)
  const client = createWeComClient({
    baseUrl: config.wecomApiBase,
    corpId: config.wecom.corpId,
    agentId: config.wecom.agentId,
    secret: config.wecom.secret,
  })
  return createWeComTransport(client, config.robots)
}
