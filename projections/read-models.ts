import { IdempotencyProjection } from './idempotency';
import { ImportsProjection } from './imports';
import { SessionsProjection } from './sessions';
import { WaveformNotesProjection } from './waveform-notes';

/** Every read model the server keeps, fresh and empty: the server and `rebuild` build the same set. */
export function createReadModels() {
  const sessions = new SessionsProjection();
  const idempotency = new IdempotencyProjection();
  const waveformNotes = new WaveformNotesProjection();
  const imports = new ImportsProjection();
  return { sessions, idempotency, waveformNotes, imports, all: [sessions, idempotency, waveformNotes, imports] };
}
