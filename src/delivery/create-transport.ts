import type { DataSource } from 'typeorm'
import type { Config } from '../config/load-config.js'
import { NO_METRICS, type Metrics } from '../metrics/metrics.js'
import { createWeComClient, type WeComClient } from '../wecom/wecom-client.js'
import { createConsoleTransport } from './console-transport.js'
import type { Transport } from './transport.js'
import { createWeComTransport } from './wecom-transport.js'

/** The app's WeCom client on the service's clock (null in console mode): one token cache for the delivery worker and /readyz. */
export function createClient(config: Readonly<Config>, metrics: Metrics = NO_METRICS, now: () => Date = () => new Date()): WeComClient | null {
  const wecom = config.wecom
  if (!wecom) return null
  return createWeComClient({ baseUrl: config.wecomApiBase, corpId: wecom.corpId, agentId: wecom.agentId, secret: wecom.secret, metrics, now: () => now().getTime() })
}

/** WeCom when credentials are configured (through `client`), otherwise console delivery mode. */
export function createTransport(
  config: Readonly<Config>,
  dataSource: DataSource,
  print: (text: string) => void,
  client: WeComClient | null = createClient(config),
  now: () => Date = () => new Date(),
): Transport {
  if (!client) return createConsoleTransport(dataSource, print, config.consoleFileDirectory)
  return createWeComTransport(client, config.robots, { dataSource, now, cards: config.cards })
}
