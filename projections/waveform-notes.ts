import type { StoredEvent } from '../events/envelope';
import type { PreviewVariantData } from '../events/previews';
import type { WaveformNotesReplacedData } from '../events/waveform-notes';
import type { WaveformNote } from '../src/schemas/waveform-notes';
import type { Projection } from './runner';
import { allItems, type SnapshotItems } from './snapshot-items';
import { wholeSeconds } from './timestamps';

type Lane = readonly WaveformNote[];

/** A note as the lane shows it: its times in whole seconds (./timestamps), whatever precision the event recorded. */
const shown = (note: WaveformNote): WaveformNote => ({ ...note, createdAt: wholeSeconds(note.createdAt), updatedAt: wholeSeconds(note.updatedAt) });

/**
 * Waveform notes by session and lane (a variant id, or `main`). A lane goes with its variant when
 * the variant is detached, and every lane with the session when it is deleted.
 */
export class WaveformNotesProjection implements Projection {
  readonly name = 'waveform-notes';
  readonly version = 2;
  private readonly sessions = new Map<string, Map<string, Lane>>();

  apply(event: StoredEvent): void {
    if (event.type === 'WaveformNotesReplaced') {
      const { lane, notes } = event.data as WaveformNotesReplacedData;
      const lanes = this.sessions.get(event.streamId) ?? new Map<string, Lane>();
      this.sessions.set(event.streamId, lanes.set(lane, notes.map(shown)));
    } else if (event.type === 'PreviewDetached') {
      this.sessions.get(event.streamId)?.delete((event.data as PreviewVariantData).variantId);
    } else if (event.type === 'SessionDeleted') {
      this.sessions.delete(event.streamId);
    }
  }

  notes(sessionId: string, lane: string): Lane {
    return this.sessions.get(sessionId)?.get(lane) ?? [];
  }

  snapshot(): Array<[string, string, Lane]> {
    return [...this.sessions]
      .flatMap(([sessionId, lanes]) => [...lanes].map(([lane, notes]): [string, string, Lane] => [sessionId, lane, notes]))
      .sort(([a, laneA], [b, laneB]) => (a === b ? (laneA < laneB ? -1 : 1) : a < b ? -1 : 1));
  }

  restore(items: SnapshotItems): void {
    for (const [sessionId, lane, notes] of allItems(items) as Array<[string, string, Lane]>) {
      this.sessions.set(sessionId, (this.sessions.get(sessionId) ?? new Map<string, Lane>()).set(lane, notes));
    }
  }
}
