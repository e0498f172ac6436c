/** A variant to analyse in the background: what an attach, an import or a start-up asks for. */
export interface BackgroundAnalysis {
  sessionId: string;
  variantId: string;
  path: string;
  causationId?: string;
}

export interface AnalysisBacklogLimits {
  /** Background analyses handed to the analysis pool at once: the pool's own queue is left to requests. */
  maxRunning: number;
  /** Analyses kept waiting here; past it they are found again from the read model (still `pending`). */
  maxQueued: number;
  /** How long to wait before trying again when the pool cannot take an analysis or its outcome cannot be recorded. */
  retryDelayMs: number;
}

export const DEFAULT_BACKLOG_LIMITS: AnalysisBacklogLimits = { maxRunning: 4, maxQueued: 4096, retryDelayMs: 1000 };

/** What became of one analysis: `retry` when the pool or the log could not take it now (the variant stays pending). */
export type BacklogOutcome = 'done' | 'retry';

export interface AnalysisBacklogDeps {
  /** Analyses a variant and records its outcome; never rejects. */
  analyse(item: BackgroundAnalysis): Promise<BacklogOutcome>;
  /** Up to `limit` variants still waiting for an analysis (the read model's `pending` ones), leaving out those `skip` says. */
  pending(limit: number, skip: (item: BackgroundAnalysis) => boolean): BackgroundAnalysis[];
  /** Whether outcomes can be recorded now; while not, nothing is started. */
  canRecord(): boolean;
}

const keyOf = ({ sessionId, variantId }: Pick<BackgroundAnalysis, 'sessionId' | 'variantId'>) => `${sessionId}\u0000${variantId}`;

/**
 * The background analyses, fed to the pool only as it has room: at most `maxRunning` at once, the
 * rest waiting here in order, at most `maxQueued` of them. Nothing asked for is dropped: what does
 * not fit, cannot run now or cannot be recorded stays `pending` in the read model, which is the
 * backlog's source of truth, and is found there again once the queue drains.
 */
export class AnalysisBacklog {
  private readonly queued = new Map<string, BackgroundAnalysis>();
  private readonly running = new Set<string>();
  /** Some pending variants are not in the queue: the read model is read again when it drains. */
  private unqueued = false;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly deps: AnalysisBacklogDeps,
    private readonly limits: AnalysisBacklogLimits = DEFAULT_BACKLOG_LIMITS,
  ) {}

  add(item: BackgroundAnalysis): void {
    if (this.stopped) return;
    const key = keyOf(item);
    if (this.queued.has(key) || this.running.has(key)) return;
    if (this.queued.size >= this.limits.maxQueued) this.unqueued = true;
    else this.queued.set(key, item);
    this.pump();
  }

  /** Analyses every variant the read model has as pending (at start-up), a queue's worth at a time. */
  addAllPending(): void {
    if (this.stopped) return;
    this.unqueued = true;
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    this.queued.clear();
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }

  stats(): { queued: number; running: number; unqueued: boolean; retrying: boolean } {
    return { queued: this.queued.size, running: this.running.size, unqueued: this.unqueued, retrying: this.retry !== null };
  }

  private pump(): void {
    if (this.retry !== null) return;
    while (!this.stopped && this.running.size < this.limits.maxRunning) {
      if (!this.deps.canRecord()) return this.later();
      if (this.queued.size === 0 && this.unqueued) this.refill();
      const next = this.queued.entries().next();
      if (next.done) return;
      const [key, item] = next.value;
      this.queued.delete(key);
      this.running.add(key);
      void this.deps
        .analyse(item)
        .catch((): BacklogOutcome => 'retry')
        .then((outcome) => {
          this.running.delete(key);
          if (outcome === 'retry') {
            this.unqueued = true;
            this.later();
          }
          this.pump();
        });
    }
  }

  private refill(): void {
    this.unqueued = false;
    const found = this.deps.pending(this.limits.maxQueued + 1, (item) => this.running.has(keyOf(item)));
    for (const item of found.slice(0, this.limits.maxQueued)) this.queued.set(keyOf(item), item);
    if (found.length > this.limits.maxQueued) this.unqueued = true;
  }

  private later(): void {
    if (this.stopped || this.retry !== null) return;
    this.unqueued = true;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.pump();
    }, this.limits.retryDelayMs);
    this.retry.unref();
  }
}
