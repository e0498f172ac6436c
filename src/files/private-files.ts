import type { Stats } from 'node:fs';

/*
 * The rules for the server's own private files (the data directory, the token file) as pure
 * checks of their stats: each problem is one line that names the fix. Windows has no POSIX modes
 * or owners to check.
 */

export interface Owner {
  platform: NodeJS.Platform;
  /** The server's user id (process.getuid()); undefined on Windows. */
  uid: number | undefined;
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;
const posix = (owner: Owner): owner is Owner & { uid: number } => owner.platform !== 'win32' && owner.uid !== undefined;

/** Why the token file (its lstat) cannot be trusted; null when it can. */
export function tokenFileProblem(path: string, stats: Stats, owner: Owner): string | null {
  if (stats.isSymbolicLink()) return `the token file ${path} is a symbolic link; point --token-file at a regular file (or replace the link with one)`;
  if (!stats.isFile()) return `the token file ${path} is not a regular file; point --token-file at a regular file`;
  if (!posix(owner)) return null;
  if (stats.uid !== owner.uid) return `the token file ${path} belongs to another user (uid ${stats.uid}); run: chown ${owner.uid} ${path}`;
  if ((stats.mode & 0o077) !== 0) return `the token file ${path} can be read or written by others (mode ${octal(stats.mode)}); run: chmod 600 ${path}`;
  return null;
}

/** Why the data directory (its stat) cannot be used; null when it can. Modes are tightened, not refused. */
export function dataDirectoryProblem(path: string, stats: Stats, owner: Owner): string | null {
  if (!stats.isDirectory()) return `the data directory ${path} is not a directory; choose another --data-dir`;
  if (posix(owner) && stats.uid !== owner.uid) return `the data directory ${path} belongs to another user (uid ${stats.uid}); run: chown ${owner.uid} ${path}, or choose another --data-dir`;
  return null;
}

/** The mode the data directory must be tightened to, or null when it is private already (or on Windows). */
export function tightenedMode(stats: Stats, owner: Owner): number | null {
  return posix(owner) && (stats.mode & 0o077) !== 0 ? 0o700 : null;
}

export const describeMode = octal;
