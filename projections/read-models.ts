import { IdempotencyProjection } from './idempotency';
import { ImportsProjection } from './imports';
import { SessionsProjection } from './sessions';
import { WaveformNotesProjection } from './waveform-notes';

export interface ReadModelLimits {
  /** Idempotency keys kept at most (the oldest forgotten first). */
  maxIdempotencyKeys?: number;
}

/** Every read model the server keeps, fresh and empty: the server and `rebuild` build the same set. */
export function createReadModels(limits: ReadModelLimits = {}) {
  const sessions = new SessionsProjection();
  const idempotency = new IdempotencyProjection(limits.maxIdempotencyKeys);
  const waveformNotes = new WaveformNotesProjection();
  const imports = new ImportsProjection();
  return { sessions, idempotency, waveformNotes, imports, all: [sessions, idempotency, waveformNotes, imports] };
}
