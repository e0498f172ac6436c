import { existsSync } from 'node:fs';
import type { Config } from '../config';
import { logDirectory } from '../server';
import { LevelBackend } from '../store';
import { acquireDataDirLock } from '../files/data-dir-lock';

/**
 * Runs `use` on the data directory's event log and closes it after. A log that does not exist is
 * an error (a read must not create one). The data directory's lock is taken first, as a server
 * takes it: while a server holds it (even one whose LevelDB lock a stray close has dropped) this
 * throws STORE_LOCKED, which main.ts reports.
 */
export async function withLog<T>(config: Config, use: (backend: LevelBackend) => Promise<T>): Promise<T> {
  const location = logDirectory(config.dataDir);
  if (!existsSync(location)) throw new Error(`no event log in ${config.dataDir} (${location} does not exist)`);
  const lock = acquireDataDirLock(config.dataDir, 'a sessiondock log command');
  try {
    const backend = new LevelBackend(location);
    try {
      return await use(backend);
    } finally {
      await backend.close();
    }
  } finally {
    lock.release();
  }
}
