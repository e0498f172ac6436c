import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { analyse, type Waveform } from './analyse';
import { identityOf, openAudioFile, type FileIdentity } from './audio-file';

/** Recently served waveforms kept in memory, so a cached request costs one stat. */
const MEMORY_ENTRIES = 64;

/**
 * Waveforms of registered files, computed once per (path, size, mtime, points) and cached on disk
 * under the data dir; a changed file has a new identity and is analysed again. Analyses run one at
 * a time (decoding is CPU work), and a request for an analysis already running waits for it.
 */
export class Waveforms {
  private readonly memory = new Map<string, Waveform>();
  private readonly running = new Map<string, Promise<Waveform>>();
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly cacheDirectory: string) {}

  /** At shutdown: analyses not yet started are refused, and the one running ends before the data dir closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
  }

  async waveform(path: string, points: number): Promise<Waveform> {
    const key = cacheKey(path, await identityOf(path), points);
    const known = this.memory.get(key) ?? (await this.fromDisk(key));
    if (known) return this.remember(key, known);
    let analysis = this.running.get(key);
    if (!analysis) {
      analysis = this.analyseInTurn(path, points).finally(() => this.running.delete(key));
      this.running.set(key, analysis);
    }
    return analysis;
  }

  private analyseInTurn(path: string, points: number): Promise<Waveform> {
    const turn = this.queue.then(async () => {
      if (this.stopped) throw new Error('the server is stopping');
      const file = await openAudioFile(path);
      try {
        const waveform = await analyse(file.handle, file.size, file.format, points);
        // Keyed by the identity of what was read, in case the file changed while queued.
        const key = cacheKey(path, file, points);
        await this.toDisk(key, waveform);
        return this.remember(key, waveform);
      } finally {
        await file.handle.close();
      }
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private remember(key: string, waveform: Waveform): Waveform {
    this.memory.delete(key);
    this.memory.set(key, waveform);
    if (this.memory.size > MEMORY_ENTRIES) this.memory.delete(this.memory.keys().next().value!);
    return waveform;
  }

  private async fromDisk(key: string): Promise<Waveform | undefined> {
    try {
      return JSON.parse(await readFile(join(this.cacheDirectory, `${key}.json`), 'utf8')) as Waveform;
    } catch {
      return undefined;
    }
  }

  private async toDisk(key: string, waveform: Waveform): Promise<void> {
    await mkdir(this.cacheDirectory, { recursive: true, mode: 0o700 });
    const file = join(this.cacheDirectory, `${key}.json`);
    // Written aside then renamed: a crash never leaves half a cache entry.
    await writeFile(`${file}.tmp`, JSON.stringify(waveform));
    await rename(`${file}.tmp`, file);
  }
}

const cacheKey = (path: string, { size, mtimeMs }: FileIdentity, points: number) =>
  createHash('sha256').update(JSON.stringify([path, size, mtimeMs, points])).digest('hex');
