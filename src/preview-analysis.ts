import { randomUUID } from 'node:crypto';
import type { EventMeta } from '../events/envelope';
import type { VariantState } from '../projections/session-state';
import { isAudioError } from './audio/errors';
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
 */
export class PreviewAnalysis {
  constructor(private readonly deps: PreviewAnalysisDeps) {}

  /** Starts analysing a variant's file; the outcome lands in the log when it is known. */
  start(sessionId: string, variant: Pick<VariantState, 'id' | 'path'>, causationId?: string): void {
    void this.deps.waveforms
      .waveform(variant.path, DEFAULT_POINTS)
      .then(
        ({ durationMs, sampleRate, channels }): AnalysisOutcome => ({ variantId: variant.id, path: variant.path, analysed: { durationMs, sampleRate, channels } }),
        (error: unknown): AnalysisOutcome => {
          if (!isAudioError(error)) throw error;
          return { variantId: variant.id, path: variant.path, failed: error.message };
        },
      )
      .then((outcome) => this.record(sessionId, outcome, causationId))
      .catch((error: Error) => this.deps.logger.log('warn', 'preview analysis failed', { sessionId, variantId: variant.id, error: error.message }));
  }

  /**
   * Records an outcome, if writes are allowed. Best effort: a status the log cannot take now (the
   * session was deleted, the writer is overloaded or failing) is logged, and found again by the
   * next request or analysis; the request that found it is answered all the same.
   */
  async record(sessionId: string, outcome: AnalysisOutcome, causationId?: string): Promise<void> {
    if (!allows(this.deps.modes.effective(), 'full-automation')) return;
    const meta: EventMeta = { at: this.deps.now().toISOString(), requestId: `analysis-${randomUUID()}`, actor: 'sessiondock', ...(causationId ? { causationId } : {}) };
    try {
      await runSessionCommand(this.deps, { sessionId, precondition: undefined, decide: (state) => decideRecordAnalysis(state, outcome), meta });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'not_found') return;
      this.deps.logger.log('warn', 'preview status not recorded', { sessionId, variantId: outcome.variantId, error: (error as Error).message });
    }
  }
}
