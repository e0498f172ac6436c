import { isDeepStrictEqual } from 'node:util';
import type { NewEvent } from '../../events/envelope';
import { WaveformNotesReplaced } from '../../events/waveform-notes';
import type { ReplaceWaveformNotesBody, WaveformNote } from '../schemas/waveform-notes';

export interface ReplaceWaveformNotes {
  lane: string;
  /** The lane's notes now. */
  current: readonly WaveformNote[];
  body: ReplaceWaveformNotesBody;
  /** When the change is made, and how new notes get their ids (kept out of the decision to keep it pure). */
  at: string;
  newNoteId: () => string;
}

/**
 * The lane as the body gives it: a note whose id the lane has keeps its id and `createdAt`, and its
 * `updatedAt` unless its timestamp or text changed; other notes are new. Sorted by timestamp (ties
 * keep the body's order). Nothing is appended when the lane would not change.
 */
export function decideReplaceWaveformNotes({ lane, current, body, at, newNoteId }: ReplaceWaveformNotes): NewEvent[] {
  const known = new Map(current.map((note) => [note.id, note]));
  const notes = body.notes
    .map(({ id, timestamp, text }): WaveformNote => {
      const previous = id === undefined ? undefined : known.get(id);
      if (!previous) return { id: newNoteId(), timestamp, text, createdAt: at, updatedAt: at };
      known.delete(previous.id);
      const unchanged = previous.timestamp === timestamp && previous.text === text;
      return { id: previous.id, timestamp, text, createdAt: previous.createdAt, updatedAt: unchanged ? previous.updatedAt : at };
    })
    .sort((a, b) => a.timestamp - b.timestamp);
  return isDeepStrictEqual(notes, current) ? [] : [{ type: WaveformNotesReplaced.type, data: { lane, notes } }];
}
