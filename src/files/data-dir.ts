import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { ConfigError } from '../config';
import { dataDirectoryProblem, describeMode, tightenedMode, type Owner } from './private-files';

export const currentOwner = (): Owner => ({ platform: process.platform, uid: process.getuid?.() });

/**
 * Creates the data directory owner-only (0700), or tightens an existing one to 0700: it holds the
 * token and the log. Gives the mode it had when it was tightened (for the log), else null. A data
 * directory that is no directory or belongs to another user is a ConfigError.
 */
export function prepareDataDirectory(path: string, owner: Owner = currentOwner()): string | null {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const stats = statSync(path);
  const problem = dataDirectoryProblem(path, stats, owner);
  if (problem) throw new ConfigError(problem);
  const mode = tightenedMode(stats, owner);
  if (mode === null) return null;
  chmodSync(path, mode);
  return describeMode(stats.mode);
}
