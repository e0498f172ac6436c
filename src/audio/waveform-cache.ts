import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Waveform } from './analyse';

const ENTRY_NAME = /^[0-9a-f]{64}\.json$/;
/** Entry files looked at in one go when the cache directory is first read. */
const STAT_BATCH = 64;

/**
 * Waveforms on disk under the data dir, one JSON file per key, capped in total size: past the cap
 * the least recently used entries are removed. Use is remembered in each file's mtime, so the
 * order survives a restart; the index of sizes is built from the directory on first use.
 */
export class WaveformCache {
  /** Entry sizes in order of use, least recent first. */
  private readonly sizes = new Map<string, number>();
  private totalBytes = 0;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly directory: string,
    private readonly maxBytes: number,
  ) {}

  /** Bytes the cache's entries hold now. */
  async size(): Promise<number> {
    await this.load();
    return this.totalBytes;
  }

  async get(key: string): Promise<Waveform | undefined> {
    await this.load();
    if (!this.sizes.has(key)) return undefined;
    try {
      const waveform = JSON.parse(await readFile(this.file(key), 'utf8')) as Waveform;
      this.touch(key);
      return waveform;
    } catch {
      this.forget(key);
      return undefined;
    }
  }

  async put(key: string, waveform: Waveform): Promise<void> {
    await this.load();
    const content = JSON.stringify(waveform);
    const bytes = Buffer.byteLength(content);
    if (bytes > this.maxBytes) return;
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    // Written aside then renamed: a crash never leaves half a cache entry.
    await writeFile(`${this.file(key)}.tmp`, content);
    await rename(`${this.file(key)}.tmp`, this.file(key));
    this.forget(key);
    this.sizes.set(key, bytes);
    this.totalBytes += bytes;
    await this.evict();
  }

  private file(key: string): string {
    return join(this.directory, `${key}.json`);
  }

  private touch(key: string): void {
    const bytes = this.sizes.get(key)!;
    this.sizes.delete(key);
    this.sizes.set(key, bytes);
    const now = new Date();
    utimes(this.file(key), now, now).catch(() => undefined);
  }

  private forget(key: string): void {
    const bytes = this.sizes.get(key);
    if (bytes === undefined) return;
    this.sizes.delete(key);
    this.totalBytes -= bytes;
  }

  private async evict(): Promise<void> {
    while (this.totalBytes > this.maxBytes) {
      const oldest = this.sizes.keys().next().value!;
      this.forget(oldest);
      await unlink(this.file(oldest)).catch(() => undefined);
    }
  }

  /** Reads the directory once: entries in order of their last use, then evicts down to the cap (the cap may have been lowered). */
  private load(): Promise<void> {
    this.loading ??= (async () => {
      let names: string[];
      try {
        names = (await readdir(this.directory)).filter((name) => ENTRY_NAME.test(name));
      } catch {
        return;
      }
      const entries: Array<{ key: string; bytes: number; usedMs: number }> = [];
      for (let at = 0; at < names.length; at += STAT_BATCH) {
        const batch = await Promise.all(
          names.slice(at, at + STAT_BATCH).map(async (name) => {
            const stats = await stat(join(this.directory, name)).catch(() => undefined);
            return stats?.isFile() ? { key: name.slice(0, -'.json'.length), bytes: stats.size, usedMs: stats.mtimeMs } : undefined;
          }),
        );
        for (const entry of batch) if (entry) entries.push(entry);
      }
      entries.sort((a, b) => a.usedMs - b.usedMs);
      for (const { key, bytes } of entries) {
        this.sizes.set(key, bytes);
        this.totalBytes += bytes;
      }
      await this.evict();
    })();
    return this.loading;
  }
}
