import { readFileSync } from 'node:fs';

/** The soft limit on open files, from the text of /proc/<pid>/limits; null when it does not say. */
export function softOpenFileLimit(limits: string): number | null {
  const line = limits.split('\n').find((each) => each.startsWith('Max open files'));
  const soft = line === undefined ? undefined : /^Max open files\s+(\S+)/.exec(line)?.[1];
  if (soft === undefined) return null;
  if (soft === 'unlimited') return Number.MAX_SAFE_INTEGER;
  const value = Number(soft);
  return Number.isInteger(value) && value > 0 ? value : null;
}

/** Where /proc does not tell (macOS, Windows): what the server assumes it may open. */
export const ASSUMED_OPEN_FILE_LIMIT = 2048;
const MIN_CONNECTIONS = 32;
const MAX_DEFAULT_CONNECTIONS = 8192;

/**
 * Connections the server keeps open at once when not configured: half the soft open-file limit,
 * the rest left to the log (LevelDB keeps table files open), audio files and the waveform cache.
 */
export function defaultMaxConnections(softLimit: number | null): number {
  const limit = softLimit ?? ASSUMED_OPEN_FILE_LIMIT;
  return Math.max(MIN_CONNECTIONS, Math.min(MAX_DEFAULT_CONNECTIONS, Math.floor(limit / 2)));
}

/** This process's soft open-file limit on Linux; null elsewhere or when it cannot be read. */
export function readSoftOpenFileLimit(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    return softOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return null;
  }
}
