import { constants, realpathSync, type Stats } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isPlatformAbsolute, locationRefusal, projectLocationRefusal, type PathPolicy } from './path-policy';

/*
 * "May the server use this path?" for every path a request or a stored event names: an audio
 * file to attach, sniff, analyse or stream, a project to import or open. The path is resolved to
 * its real spelling first, so symbolic links and `..` cannot reach what the rules refuse.
 *
 * The data directories are registered here for the whole process on purpose: POSIX record locks
 * belong to a process, and closing any descriptor of a locked file in it drops the lock, so no
 * server in this process may open a file in any data directory a server in it holds.
 */

/** Real path → how many servers of this process protect it. */
const protectedPaths = new Map<string, number>();

/** Refuses `path` and everything in it (by its real path) until the returned function is called. */
export function protectPath(path: string): () => void {
  const real = realpathSync(path);
  protectedPaths.set(real, (protectedPaths.get(real) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const count = protectedPaths.get(real)! - 1;
    if (count === 0) protectedPaths.delete(real);
    else protectedPaths.set(real, count);
  };
}

/** The real paths protected in this thread, to hand to a worker thread (each thread has its own copy of this module). */
export const protectedDirectories = (): string[] => [...protectedPaths.keys()];

/** In a worker thread: refuse exactly what the thread that started it refuses. */
export function adoptProtectedDirectories(directories: readonly string[]): void {
  protectedPaths.clear();
  for (const directory of directories) protectedPaths.set(directory, 1);
}

let homeDirectory: string | null | undefined;

function currentPolicy(): PathPolicy {
  if (homeDirectory === undefined) {
    try {
      homeDirectory = realpathSync(homedir());
    } catch {
      homeDirectory = null;
    }
  }
  return { platform: process.platform, protectedDirectories: [...protectedPaths.keys()], homeDirectory };
}

/** `errno`: the system's code when the path could not be resolved (ENOENT for a missing file). */
export type Usable = { usable: true; realPath: string; stats: Stats } | { usable: false; reason: string; errno?: string };

const refused = (reason: string, errno?: string): Usable => ({ usable: false, reason, ...(errno ? { errno } : {}) });

/** The real path and its stats, or why it cannot be had (the reason is for the log, not clients). */
async function resolved(path: string, policy: PathPolicy): Promise<Usable> {
  if (!isPlatformAbsolute(path, policy.platform)) return refused(`it is not an absolute path on ${policy.platform}`);
  try {
    const realPath = await realpath(path);
    return { usable: true, realPath, stats: await stat(realPath) };
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    return refused(`it cannot be resolved (${code ?? 'error'})`, code);
  }
}

/** A regular file the server may open and read: what an audio path must be. */
export async function usableFile(path: string): Promise<Usable> {
  const policy = currentPolicy();
  const found = await resolved(path, policy);
  if (!found.usable) return found;
  const refusal = locationRefusal(found.realPath, policy) ?? (found.stats.isFile() ? null : 'it is not a regular file');
  return refusal ? refused(refusal) : found;
}

/**
 * What a session's project may be, to import or to open: a folder the server can list, or a
 * regular file it can read; never a special file, a system or data directory, or a whole account.
 */
export async function usableProject(path: string): Promise<Usable> {
  const policy = currentPolicy();
  const found = await resolved(path, policy);
  if (!found.usable) return found;
  const { realPath, stats } = found;
  const refusal = projectLocationRefusal(realPath, policy) ?? (stats.isFile() || stats.isDirectory() ? null : 'it is neither a folder nor a regular file');
  if (refusal) return refused(refusal);
  try {
    await access(realPath, stats.isDirectory() ? constants.R_OK | constants.X_OK : constants.R_OK);
  } catch (error) {
    return refused(`the server cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return found;
}

/**
 * A refused path as an error with an errno-like code, for adapters that map such codes
 * (audio-file.ts): the system's code when the path could not be resolved, else EPATHREFUSED.
 */
export class PathRefusedError extends Error {
  override readonly name = 'PathRefusedError';

  constructor(
    readonly reason: string,
    readonly code = 'EPATHREFUSED',
  ) {
    super(`the path cannot be used: ${reason}`);
  }
}

/** The real path of a file the server may open; throws PathRefusedError when it may not. */
export async function usableFilePath(path: string): Promise<string> {
  const found = await usableFile(path);
  if (!found.usable) throw new PathRefusedError(found.reason, found.errno);
  return found.realPath;
}
