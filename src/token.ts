import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

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
 * rotation: a change of the file (new inode, size or mtime) is seen on the next request.
 */
export class TokenCheck {
  private expected!: Buffer;
  private expectedFingerprint = '';
  private fileIdentity = '';

  constructor(private readonly source: { token: string } | { file: string }) {
    this.use('token' in source ? source.token : this.reload(source.file));
  }

  /**
   * Constant-time for a candidate of the token's length; the length itself is no secret (every
   * generated token has the same one).
   */
  matches(candidate: string): boolean {
    if ('file' in this.source) this.refresh(this.source.file);
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
      if (`${stats.ino}:${stats.size}:${stats.mtimeMs}` !== this.fileIdentity) this.use(this.reload(file));
    } catch {
      // A missing or unreadable file keeps the last token rather than locking every client out.
    }
  }

  private reload(file: string): string {
    const stats = statSync(file);
    this.fileIdentity = `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
    return readTokenFile(file);
  }
}
