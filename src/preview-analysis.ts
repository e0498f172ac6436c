import { randomUUID } from 'node:crypto';
import type { EventMeta } from '../events/envelope';
import type { VariantState } from '../projections/session-state';
import { AnalysisBacklog, DEFAULT_BACKLOG_LIMITS, type AnalysisBacklogLimits, type BackgroundAnalysis, type BacklogOutcome } from './analysis-backlog';
import { AnalysisUnavailableError, isAudioError } from './audio/errors';
import type { Waveforms } from './audio/waveforms';
import { decideRecordAnalysis, type AnalysisOutcome } from './commands/record-analysis';
import { runSessionCommand, type SessionCommandDeps } from './commands/session-command';
import type { Logger } from './log';
import { ApiError } from './errors';
import { allows, type ModeState } from './modes';

/** The waveform resolution analysed when a variant is attached: the default of GET /waveform. */
export const DEFAULT_POINTS = 1000;

export interface PreviewAnalysisDeps extends SessionCommandDeps {
  waveforms: Waveforms;
  modes: ModeState;
  logger: Logger;
  now(): Date;
}

/**
 * Analyses variants off the request path and records what it finds on the session's stream
 * (PreviewAnalysed or PreviewFailed), as the server's own writes: only while writes are allowed.
 * Analyses wait their turn in a backlog so that an import of thousands of previews neither fills
 * the analysis pool's queue (left to waveform requests) nor leaves any variant pending for good.
 */
export class PreviewAnalysis {
  private readonly backlog: AnalysisBacklog;

  constructor(
    private readonly deps: PreviewAnalysisDeps,
    limits: AnalysisBacklogLimits = DEFAULT_BACKLOG_LIMITS,
  ) {
    this.backlog = new AnalysisBacklog(
      {
        analyse: (item) => this.analyse(item),
        pending: (limit, skip) => this.pending(limit, skip),
        canRecord: () => allows(this.deps.modes.effective(), 'full-automation'),
      },
      limits,
    );
  }

  /** Queues a variant's analysis; the outcome lands in the log when it is known. */
  start(sessionId: string, variant: Pick<VariantState, 'id' | 'path'>, causationId?: string): void {
    this.backlog.add({ sessionId, variantId: variant.id, path: variant.path, ...(causationId ? { causationId } : {}) });
  }

  /** Queues every variant still pending: those a stop interrupted. */
  startAllPending(): void {
    this.backlog.addAllPending();
  }

  stop(): void {
    this.backlog.stop();
  }

  stats(): ReturnType<AnalysisBacklog['stats']> {
    return this.backlog.stats();
  }

  private async analyse({ sessionId, variantId, path, causationId }: BackgroundAnalysis): Promise<BacklogOutcome> {
    let outcome: AnalysisOutcome;
    try {
      const { durationMs, sampleRate, channels } = await this.deps.waveforms.waveform(path, DEFAULT_POINTS);
      outcome = { variantId, path, analysed: { durationMs, sampleRate, channels } };
    } catch (error) {
      if (error instanceof AnalysisUnavailableError) return 'retry';
      if (!isAudioError(error)) {
        this.deps.logger.log('warn', 'preview analysis failed', { sessionId, variantId, error: (error as Error).message });
        return 'retry';
      }
      outcome = { variantId, path, failed: error.message };
    }
    return (await this.record(sessionId, outcome, causationId)) ? 'done' : 'retry';
  }

  private pending(limit: number, skip: (item: BackgroundAnalysis) => boolean): BackgroundAnalysis[] {
    const found: BackgroundAnalysis[] = [];
    for (const session of this.deps.sessions.all()) {
      for (const variant of session.previews) {
        if (variant.status !== 'pending') continue;
        const item = { sessionId: session.id, variantId: variant.id, path: variant.path };
        if (skip(item)) continue;
        found.push(item);
        if (found.length >= limit) return found;
      }
    }
    return found;
  }

  /**
   * Records an outcome, if writes are allowed. Best effort: a status the log cannot take now (the
   * session was deleted, the writer is overloaded or failing) is logged, and found again by the
   * next request or analysis; the request that found it is answered all the same. Resolves whether
   * the variant's status is settled (recorded, or its session is gone).
   */
  async record(sessionId: string, outcome: AnalysisOutcome, causationId?: string): Promise<boolean> {
    if (!allows(this.deps.modes.effective(), 'full-automation')) return false;
    const meta: EventMeta = { at: this.deps.now().toISOString(), requestId: `analysis-${randomUUID()}`, actor: 'sessiondock', ...(causationId ? { causationId } : {}) };
    try {
      await runSessionCommand(this.deps, { sessionId, precondition: undefined, decide: (state) => decideRecordAnalysis(state, outcome), meta });
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'not_found') return true;
      this.deps.logger.log('warn', 'preview status not recorded', { sessionId, variantId: outcome.variantId, error: (error as Error).message });
      return false;
    }
  }
}
