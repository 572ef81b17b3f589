import { loadConfig } from './src/config/load-config.js'
import { withEnvFile } from './src/config/read-env-file.js'
import { createDataSource } from './src/db/create-data-source.js'

/**
 * The DataSource for the typeorm CLI (`npm run migration:run`, `migration:revert`), built by
 * the same factory the service uses, from the same DATABASE_URL (environment or .env).
 */
export default createDataSource(loadConfig(withEnvFile(process.env)).database)
