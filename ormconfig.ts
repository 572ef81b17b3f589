import { loadConfig } from './src/config/load-config.js'
import { withEnvFile } from './src/config/read-env-file.js'
import { createDataSource } from './src/db/create-data-source.js'
import { isOperatorFacing } from './src/errors.js'

/**
 * The DataSource for the typeorm CLI (`npm run migration:run`, `migration:revert`), built by
 * the same factory the service uses, from the same DATABASE_URL (environment or .env). A
 * configuration problem is printed as the service prints it, not as a CLI stack trace.
 */
async function dataSourceFromEnvironment() {
  try {
    return await createDataSource(loadConfig(withEnvFile(process.env)).database)
  } catch (error) {
    if (!isOperatorFacing(error)) throw error
    process.stderr.write(`${error.message}\n`)
    process.exit(1)
  }
}

export default dataSourceFromEnvironment()
