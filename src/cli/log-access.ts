import { existsSync } from 'node:fs';
import type { Config } from '../config';
import { logDirectory } from '../server';
import { LevelBackend } from '../store';

/**
 * Runs `use` on the data directory's event log and closes it after. A log that does not exist is
 * an error (a read must not create one); a log a server holds makes `load()` throw STORE_LOCKED,
 * which main.ts reports.
 */
export async function withLog<T>(config: Config, use: (backend: LevelBackend) => Promise<T>): Promise<T> {
  const location = logDirectory(config.dataDir);
  if (!existsSync(location)) throw new Error(`no event log in ${config.dataDir} (${location} does not exist)`);
  const backend = new LevelBackend(location);
  try {
    return await use(backend);
  } finally {
    await backend.close();
  }
}
