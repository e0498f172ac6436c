import type { NewEvent } from '../../events/envelope';
import { PreviewAnalysed, PreviewFailed, type PreviewAnalysedData } from '../../events/previews';
import type { SessionState } from '../../projections/session-state';

/** What analysing a variant's file found: its audio's shape, or why it failed. */
export type AnalysisOutcome = { variantId: string; path: string } & ({ analysed: Omit<PreviewAnalysedData, 'variantId'> } | { failed: string });

/**
 * Records an analysis on the variant it was made for: nothing when the variant has gone or now
 * points at another file, or when its status already says the same.
 */
export function decideRecordAnalysis(state: SessionState, outcome: AnalysisOutcome): NewEvent[] {
  const variant = state.previews.find((candidate) => candidate.id === outcome.variantId);
  if (!variant || variant.path !== outcome.path) return [];
  if ('analysed' in outcome) {
    return variant.status === 'ready' ? [] : [{ type: PreviewAnalysed.type, data: { variantId: variant.id, ...outcome.analysed } }];
  }
  return variant.status === 'failed' ? [] : [{ type: PreviewFailed.type, data: { variantId: variant.id, reason: outcome.failed } }];
}
