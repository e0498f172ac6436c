import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, watch, writeSync, type FSWatcher, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';

export const generateToken = () => randomBytes(32).toString('base64url');

/** A short, non-reversible name for a token: what events record as their actor. */
export const tokenFingerprint = (token: string) => `token:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;

/** Writes the token file owner-only (0600), atomically: a reader sees the old token or the new one. */
export function writeTokenFile(path: string, token: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, `${token}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

export function readTokenFile(path: string): string {
  return readFileSync(path, 'utf8').trim();
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

  constructor(private readonly source: { token: string } | { file: string }) {
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

  /** The current token's fingerprint: the actor of the events a request with it appends. */
  fingerprint(): string {
    return this.expectedFingerprint;
  }

  private use(token: string): void {
    this.expected = Buffer.from(token);
    this.expectedFingerprint = tokenFingerprint(token);
  }

  private refresh(file: string): void {
    try {
      const stats = statSync(file);
      if (identity(stats) !== this.fileIdentity) this.use(this.reload(file));
    } catch {
      // A missing or half-written file keeps the last token rather than locking every client out.
    }
  }

  private reload(file: string): string {
    const token = readTokenFile(file);
    this.fileIdentity = identity(statSync(file));
    if (token.length === 0) throw new Error(`the token file ${file} is empty`);
    return token;
  }
}

const identity = (stats: Stats) => `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
