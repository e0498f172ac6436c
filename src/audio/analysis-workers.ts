import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Waveform } from './analyse';
import type { AnalysisReply, AnalysisRequest } from './analysis-messages';
import type { FileIdentity } from './audio-file';
import { protectedDirectories } from '../files/usable-path';
import { AnalysisUnavailableError, AudioError } from './errors';

export interface AnalysisLimits {
  /** Wall-clock time an analysis may take before its worker is ended and the file counted undecodable. */
  timeoutMs: number;
  /** The V8 heap a worker may use (young and old generation together). */
  memoryMb: number;
  /** Analyses that run at once, each on its own thread. */
  workers: number;
  /** The worker's script; the analysis worker unless a test stands in another. */
  script?: string;
}

/** Analyses waiting for a worker beyond which new ones are refused (they are retried by whoever asked). */
export const MAX_WAITING_ANALYSES = 1000;

export interface AnalysisResult {
  waveform: Waveform;
  /** The identity of the file the worker read (it may have changed since it was queued). */
  identity: FileIdentity;
}

interface Job extends Omit<AnalysisRequest, 'id' | 'protectedDirectories'> {
  /** Runs just before the worker gets the job: the journal notes the file as in flight. */
  beforeStart(): Promise<void>;
  resolve(result: AnalysisResult): void;
  reject(error: Error): void;
}

const stopping = () => new AnalysisUnavailableError('the server is stopping');

/**
 * Runs analyses on `worker_threads` workers with resource limits and a time budget: a decoder that
 * runs out of memory, crashes or never ends costs its worker, which is ended and replaced; the
 * server only records that the file could not be analysed. Workers are kept between analyses (the
 * decoders load once) and do not keep the process alive.
 */
export class AnalysisWorkers {
  private readonly idle: Worker[] = [];
  private readonly active = new Set<Worker>();
  private readonly waiting: Job[] = [];
  private running = 0;
  private nextId = 1;
  private closed = false;

  constructor(private readonly limits: AnalysisLimits) {}

  run(path: string, points: number, beforeStart: () => Promise<void>): Promise<AnalysisResult> {
    if (this.closed) return Promise.reject(stopping());
    if (this.waiting.length >= MAX_WAITING_ANALYSES) return Promise.reject(new AnalysisUnavailableError(`${MAX_WAITING_ANALYSES} analyses are already waiting`));
    return new Promise((resolve, reject) => {
      this.waiting.push({ path, points, beforeStart, resolve, reject });
      this.dispatch();
    });
  }

  /** Workers alive and waiting for a job. */
  idleWorkers(): number {
    return this.idle.length;
  }

  /** Ends every worker at once, whatever it is doing: waiting and running analyses end with "the server is stopping". */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(stopping());
    const workers = [...this.idle.splice(0), ...this.active];
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private dispatch(): void {
    while (!this.closed && this.running < this.limits.workers && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.running += 1;
      void this.execute(job).finally(() => {
        this.running -= 1;
        this.dispatch();
      });
    }
  }

  private spawn(): Worker {
    const worker = new Worker(this.limits.script ?? join(__dirname, 'analysis-worker.js'), {
      resourceLimits: { maxOldGenerationSizeMb: this.limits.memoryMb, maxYoungGenerationSizeMb: Math.min(32, Math.max(4, this.limits.memoryMb / 8)) },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    // Between jobs nobody listens: an error there would be thrown in the server's thread, and a
    // worker that ended while idle would be handed the next job. The job's own listeners report
    // what happens during a job; these only keep the pool sound.
    worker.on('error', () => undefined);
    worker.once('exit', () => {
      const index = this.idle.indexOf(worker);
      if (index >= 0) this.idle.splice(index, 1);
    });
    return worker;
  }

  private async execute(job: Job): Promise<void> {
    try {
      await job.beforeStart();
    } catch (error) {
      return job.reject(error as Error);
    }
    if (this.closed) return job.reject(stopping());
    const worker = this.idle.pop() ?? this.spawn();
    this.active.add(worker);
    const id = this.nextId++;
    let reusable = false;
    try {
      const result = await new Promise<AnalysisResult>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
        };
        const onMessage = (reply: AnalysisReply) => {
          if (reply.id !== id) return;
          done();
          reusable = true;
          if ('error' in reply) reject(reply.error.code ? new AudioError(reply.error.code, reply.error.message) : new Error(reply.error.message));
          else resolve({ waveform: reply.waveform, identity: reply.identity });
        };
        const onError = (error: NodeJS.ErrnoException) => {
          done();
          reject(
            error.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? new AudioError('AUDIO_UNDECODABLE', `decoding it needs more than ${this.limits.memoryMb} MB`)
              : new AudioError('AUDIO_UNDECODABLE', `its analysis failed (${error.message})`),
          );
        };
        const onExit = () => {
          done();
          reject(this.closed ? stopping() : new AudioError('AUDIO_UNDECODABLE', 'its analysis stopped unexpectedly'));
        };
        const timer = setTimeout(() => {
          done();
          reject(new AudioError('AUDIO_UNDECODABLE', `its analysis took longer than ${this.limits.timeoutMs / 1000} s`));
        }, this.limits.timeoutMs);
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.on('exit', onExit);
        worker.postMessage({ id, path: job.path, points: job.points, protectedDirectories: protectedDirectories() } satisfies AnalysisRequest);
      });
      job.resolve(result);
    } catch (error) {
      job.reject(this.closed ? stopping() : (error as Error));
    } finally {
      this.active.delete(worker);
      if (reusable && !this.closed) this.idle.push(worker);
      else await worker.terminate().catch(() => undefined);
    }
  }
}
