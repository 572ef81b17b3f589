import { InitialSchema1764147600000 } from './1764147600000-initial-schema.js'

/** Every migration, in order. Listed explicitly: no globbing, so the typeorm CLI, the service and the tests agree. */
export const migrations = [InitialSchema1764147600000]
