import { IdempotencyProjection } from './idempotency';
import { SessionsProjection } from './sessions';
import { WaveformNotesProjection } from './waveform-notes';

/** Every read model the server keeps, fresh and empty: the server and `rebuild` build the same set. */
export function createReadModels() {
  const sessions = new SessionsProjection();
  const idempotency = new IdempotencyProjection();
  const waveformNotes = new WaveformNotesProjection();
  return { sessions, idempotency, waveformNotes, all: [sessions, idempotency, waveformNotes] };
}
