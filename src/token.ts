import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readSync, renameSync, statSync, unlinkSync, watch, writeSync, type FSWatcher, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ConfigError } from './config';
import { macWith, type Signer } from './sign-in/signer';
import { currentOwner } from './files/data-dir';
import { tokenFileProblem } from './files/private-files';

/** A token file holds one token and a newline: anything larger is not a token file. */
export const MAX_TOKEN_FILE_BYTES = 4096;

export const generateToken = () => randomBytes(32).toString('base64url');

/** A short, non-reversible name for a token: what events record as their actor. */
export const tokenFingerprint = (token: string) => `token:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;

/** Writes the token file owner-only (0600), atomically: a reader sees the old token or the new one. */
export function writeTokenFile(path: string, token: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  // Exclusive: a link planted at the temporary name is not followed; a leftover of a crash goes first.
  try {
    unlinkSync(temporary);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, `${token}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/**
 * Reads the token file after checking it is a regular file (not a link, a device or a FIFO) owned
 * by this user and private to it (0600), and reads at most MAX_TOKEN_FILE_BYTES of it. A file
 * that fails is a ConfigError naming the fix; a missing one throws ENOENT.
 */
export function readTokenFile(path: string): string {
  const owner = currentOwner();
  const problem = tokenFileProblem(path, lstatSync(path), owner);
  if (problem) throw new ConfigError(problem);
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  try {
    // Checked again on what was opened: the path may have been replaced since the lstat.
    const opened = tokenFileProblem(path, fstatSync(fd), owner);
    if (opened) throw new ConfigError(opened);
    const buffer = Buffer.alloc(MAX_TOKEN_FILE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > MAX_TOKEN_FILE_BYTES) {
      throw new ConfigError(`the token file ${path} is larger than ${MAX_TOKEN_FILE_BYTES} bytes, so it holds more than a token; run: sessiondock token --rotate`);
    }
    const token = buffer.subarray(0, length).toString('utf8').trim();
    if (token.length === 0) throw new ConfigError(`the token file ${path} is empty; run: sessiondock token --rotate`);
    return token;
  } finally {
    closeSync(fd);
  }
}

/** Reads the token file, creating it with a fresh token on first start. */
export function ensureTokenFile(path: string): { token: string; created: boolean } {
  try {
    return { token: readTokenFile(path), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const token = generateToken();
    writeTokenFile(path, token);
    return { token, created: true };
  }
}

/**
 * The token requests must present. From the environment it is fixed; from the file it follows
 * rotation: a watch on the file's folder reloads it as soon as it changes, and a slow poll covers
 * file systems where watching is not available. Nothing touches the disk on the request path.
 */
export class TokenCheck {
  private expected!: Buffer;
  private expectedFingerprint = '';
  private fileIdentity = '';
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;

  private refusedIdentity = '';

  /** `onRefused`: told once per version of the file when a rotated file is refused (the last token stays). */
  constructor(
    private readonly source: { token: string } | { file: string },
    private readonly onRefused: (problem: string) => void = () => {},
  ) {
    this.use('token' in source ? source.token : this.reload(source.file));
  }

  /** Starts following the token file (no-op for a token from the environment). */
  watch(pollMs = 1000): void {
    if (!('file' in this.source) || this.watcher) return;
    const { file } = this.source;
    try {
      this.watcher = watch(dirname(file), (_event, name) => {
        if (name === null || name === basename(file)) this.refresh(file);
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      this.watcher = null;
    }
    this.poll = setInterval(() => this.refresh(file), pollMs);
    this.poll.unref();
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
  }

  /**
   * Constant-time for a candidate of the token's length; the length itself is no secret (every
   * generated token has the same one).
   */
  matches(candidate: string): boolean {
    const presented = Buffer.from(candidate);
    return presented.length === this.expected.length && timingSafeEqual(presented, this.expected);
  }

  /** A MAC keyed with the current token: signs login codes and UI credentials, which a rotation revokes. */
  readonly sign: Signer = (label, payload) => macWith(this.expected, label, payload);

  /** The current token's fingerprint: the actor of the events a request with it appends. */
  fingerprint(): string {
    return this.expectedFingerprint;
  }

  private use(token: string): void {
    this.expected = Buffer.from(token);
    this.expectedFingerprint = tokenFingerprint(token);
  }

  private refresh(file: string): void {
    let current = '';
    try {
      current = identity(statSync(file));
      if (current !== this.fileIdentity && current !== this.refusedIdentity) this.use(this.reload(file));
    } catch (error) {
      // A missing, half-written or refused file keeps the last token rather than locking every client out.
      if (error instanceof ConfigError && current !== this.refusedIdentity) {
        this.refusedIdentity = current;
        this.onRefused(error.message);
      }
    }
  }

  private reload(file: string): string {
    const token = readTokenFile(file);
    this.fileIdentity = identity(statSync(file));
    return token;
  }
}

// ctime and mode too: a `chmod 600` that fixes a refused file changes neither its size nor its mtime.
const identity = (stats: Stats) => `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}:${stats.mode}`;
