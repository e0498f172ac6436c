import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Waveform } from './analyse';
import { AnalysisJournal } from './analysis-journal';
import { AnalysisWorkers, type AnalysisLimits } from './analysis-workers';
import { identityOf, type FileIdentity } from './audio-file';
import { AnalysisUnavailableError, AudioError } from './errors';
import { WaveformCache } from './waveform-cache';

/** Recently served waveforms kept in memory, so a cached request costs one stat. */
const MEMORY_ENTRIES = 64;

export interface WaveformOptions extends AnalysisLimits {
  /** The most bytes the cache on disk may hold. */
  cacheMaxBytes: number;
}

/**
 * Waveforms of registered files, computed once per (file identity, points) and cached on disk
 * under the data dir; a changed file has a new identity and is analysed again, and two spellings
 * of one path share an entry. Analyses run on worker threads with a memory limit and a time
 * budget (an analysis that breaks either fails the file, not the server), and a request for an
 * analysis already running waits for it. A file whose analysis was under way when a server died is
 * not analysed again until it changes.
 */
export class Waveforms {
  private readonly memory = new Map<string, Waveform>();
  private readonly running = new Map<string, Promise<Waveform>>();
  private readonly workers: AnalysisWorkers;
  private readonly journal: AnalysisJournal;
  private readonly cache: WaveformCache;
  private stopped = false;

  constructor(cacheDirectory: string, options: WaveformOptions) {
    this.workers = new AnalysisWorkers(options);
    this.journal = new AnalysisJournal(join(cacheDirectory, 'in-flight.json'));
    this.cache = new WaveformCache(cacheDirectory, options.cacheMaxBytes);
  }

  /** At shutdown: the workers are ended whatever they are doing, and what they were doing is not counted as a crash. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.workers.close();
    await this.journal.clear();
  }

  /** Bytes the cache on disk holds. */
  cacheBytes(): Promise<number> {
    return this.cache.size();
  }

  async waveform(path: string, points: number): Promise<Waveform> {
    const file = await identityOf(path);
    const key = cacheKey(file, points);
    const known = this.memory.get(key) ?? (await this.cache.get(key));
    if (known) return this.remember(key, known);
    let analysis = this.running.get(key);
    if (!analysis) {
      analysis = this.analyse(path, file, points).finally(() => this.running.delete(key));
      this.running.set(key, analysis);
    }
    return analysis;
  }

  private async analyse(path: string, file: FileIdentity, points: number): Promise<Waveform> {
    if (this.stopped) throw new AnalysisUnavailableError('the server is stopping');
    if (this.journal.crashedBefore(file)) throw new AudioError('AUDIO_UNDECODABLE', 'analysing it stopped the server before; it is tried again once the file changes');
    let begun = false;
    try {
      const { waveform, identity } = await this.workers.run(path, points, async () => {
        begun = true;
        await this.journal.begin(file);
      });
      // Keyed by the identity of what was read, in case the file changed while queued.
      const key = cacheKey(identity, points);
      await this.cache.put(key, waveform);
      return this.remember(key, waveform);
    } finally {
      if (begun && !this.stopped) await this.journal.end(file).catch(() => undefined);
    }
  }

  private remember(key: string, waveform: Waveform): Waveform {
    this.memory.delete(key);
    this.memory.set(key, waveform);
    if (this.memory.size > MEMORY_ENTRIES) this.memory.delete(this.memory.keys().next().value!);
    return waveform;
  }
}

const cacheKey = ({ dev, ino, size, mtimeMs }: FileIdentity, points: number) =>
  createHash('sha256').update(JSON.stringify([dev, ino, size, mtimeMs, points])).digest('hex');
