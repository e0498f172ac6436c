import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, readSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import { hostname, uptime } from 'node:os';
import { join } from 'node:path';
import { StoreError } from '../store/errors';

/*
 * One process at a time per data directory: a file created exclusively that names its holder.
 * LevelDB's own LOCK is a POSIX record lock, which any close() of any descriptor of that file in
 * the holding process silently releases; this lock is a file's existence, which no descriptor can
 * undo. A holder that died leaves the file behind: it is taken over once its process is gone.
 */

export const LOCK_FILE = 'sessiondock.lock';
const MAX_LOCK_BYTES = 4096;
const ATTEMPTS = 3;

export interface LockHolder {
  pid: number;
  hostname: string;
  /** The process's start time in clock ticks since boot (Linux's /proc/<pid>/stat), which tells a reused pid apart. */
  processStart: string | null;
  /** What holds it: `serve`, `verify` ... */
  command: string;
  /** Tells this acquisition from an earlier one of the same process. */
  nonce: string;
  since: string;
}

export interface DataDirLock {
  readonly file: string;
  release(): void;
}

/** Lock files this process holds, by real path, with the nonce it wrote. */
const heldHere = new Map<string, string>();

/**
 * The state (field 3) and start time (field 22) of /proc/<pid>/stat, read after the command name,
 * which may hold spaces and parentheses; null off Linux or when the process is gone.
 */
function procStat(pid: number): { state: string; start: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], start: fields[19] };
  } catch {
    return null;
  }
}

export const processStartOf = (pid: number): string | null => procStat(pid)?.start ?? null;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Slack on the boot time computed from the uptime, which is rounded. */
const BOOT_SLACK_MS = 10_000;

/** Whether the holder a lock file names may still be alive (when in doubt: yes). */
export function holderAlive(holder: LockHolder, file: string): boolean {
  if (holder.hostname !== hostname()) return true;
  if (!Number.isInteger(holder.pid) || holder.pid <= 0) return false;
  // Taken before this machine last started: its pid may now be any other process's (the only
  // check where /proc gives no start time, as on macOS).
  if (Date.parse(holder.since) < Date.now() - uptime() * 1000 - BOOT_SLACK_MS) return false;
  if (holder.pid === process.pid) return heldHere.get(file) === holder.nonce;
  if (!isRunning(holder.pid)) return false;
  const stat = procStat(holder.pid);
  if (stat === null) return true;
  // A zombie (killed, not yet reaped by its parent) holds nothing any more.
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return holder.processStart === null || stat.start === holder.processStart;
}

function readHolder(file: string): LockHolder | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const buffer = Buffer.alloc(MAX_LOCK_BYTES);
    const length = readSync(fd, buffer, 0, MAX_LOCK_BYTES, 0);
    const parsed = JSON.parse(buffer.subarray(0, length).toString('utf8')) as LockHolder;
    return Number.isInteger(parsed.pid) && typeof parsed.hostname === 'string' ? parsed : { ...parsed, pid: -1, hostname: hostname() };
  } catch {
    // Written whole by link(), so unreadable content is damage, not a writer half-way: stale.
    return { pid: -1, hostname: hostname(), processStart: null, command: 'unknown', nonce: '', since: '' };
  } finally {
    closeSync(fd);
  }
}

function writeWhole(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const locked = (dataDir: string, holder: LockHolder | null) =>
  new StoreError(
    'STORE_LOCKED',
    `the data directory ${dataDir} is held by ${holder ? `${holder.command} (pid ${holder.pid} on ${holder.hostname})` : 'another process'}; ` +
      `if no sessiondock runs on it, remove ${join(dataDir, LOCK_FILE)}`,
  );

/**
 * Takes the data directory for this process, or throws STORE_LOCKED naming the live holder. The
 * file is written whole under a temporary name and linked into place: link() fails if the lock
 * exists, so a reader never sees a half-written holder.
 */
export function acquireDataDirLock(dataDir: string, command: string): DataDirLock {
  const file = join(realpathSync(dataDir), LOCK_FILE);
  const holder: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    processStart: processStartOf(process.pid),
    command,
    nonce: randomUUID(),
    since: new Date().toISOString(),
  };
  const temporary = `${file}.${process.pid}.${holder.nonce}.tmp`;
  writeWhole(temporary, `${JSON.stringify(holder)}\n`);
  try {
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      try {
        linkSync(temporary, file);
        heldHere.set(file, holder.nonce);
        return { file, release: () => release(file, holder.nonce) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const existing = readHolder(file);
      if (existing && holderAlive(existing, file)) throw locked(dataDir, existing);
      removeIfStill(file, existing);
    }
    throw locked(dataDir, readHolder(file));
  } finally {
    unlinkSync(temporary);
  }
}

/** Removes a stale lock file unless another process replaced it meanwhile. */
function removeIfStill(file: string, stale: LockHolder | null): void {
  if (stale === null) return;
  const now = readHolder(file);
  if (now === null || now.nonce !== stale.nonce || now.pid !== stale.pid) return;
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function release(file: string, nonce: string): void {
  if (heldHere.get(file) !== nonce) return;
  heldHere.delete(file);
  if (readHolder(file)?.nonce !== nonce) return;
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
