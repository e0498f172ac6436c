import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { NewEvent, StoredEvent } from '../../events/envelope';
import { evolveSession, type SessionState } from '../../projections/session-state';
import { itemsOf } from '../../projections/snapshot-items';
import { WaveformNotesProjection } from '../../projections/waveform-notes';
import { PeakAccumulator } from '../../src/audio/peaks';
import { peakReader } from '../../src/audio/pcm';
import { decideAttachPreview, fileTitle } from '../../src/commands/attach-preview';
import { newSessionData } from '../../src/commands/create-session';
import { decideDetachPreview } from '../../src/commands/detach-preview';
import { decideRecordAnalysis } from '../../src/commands/record-analysis';
import { decideReplaceWaveformNotes } from '../../src/commands/replace-waveform-notes';
import { decideUpdateSession } from '../../src/commands/update-session';
import { ApiError } from '../../src/errors';

const created = '2026-11-29T10:00:00.000Z';
const later = '2026-11-29T11:00:00.000Z';
/** `later` as the read models show it: whole seconds (issue 18). */
const shownLater = '2026-11-29T11:00:00Z';

function stored(version: number, type: string, data: object, at = later): StoredEvent {
  return { position: version, streamId: 'session_A', version, type, schemaVersion: 1, data: data as Record<string, unknown>, meta: { at, requestId: 'r', actor: 'a' }, hash: 'h' };
}

/** The session after its SessionCreated and then `events`, in order. */
function given(...events: NewEvent[]): SessionState {
  const start = evolveSession(undefined, stored(1, 'SessionCreated', newSessionData({ title: 'Song A' }), created));
  return events.reduce((session, event, index) => evolveSession(session, stored(index + 2, event.type, event.data))!, start!);
}

const attached = (variantId: string, path = `/audio/${variantId}.wav`): NewEvent => ({
  type: 'PreviewAttached',
  data: { variantId, name: variantId, path, mime: 'audio/wav' },
});

const expectApiError = (code: string) => (error: unknown) => error instanceof ApiError && error.code === code;

describe('previews: evolve (contract §6 rules)', () => {
  it('given a session without variants, when one is attached, then it is pending and preferred, and updatedAt moves', () => {
    const session = given(attached('preview_a'));
    assert.deepEqual(session.previews, [{ id: 'preview_a', name: 'preview_a', path: '/audio/preview_a.wav', status: 'pending', mime: 'audio/wav' }]);
    assert.equal(session.preferredPreviewId, 'preview_a');
    assert.equal(session.updatedAt, shownLater);
    assert.equal(session.version, 2);
  });

  it('given a preferred variant, when another is attached, then the first stays preferred', () => {
    assert.equal(given(attached('preview_a'), attached('preview_b')).preferredPreviewId, 'preview_a');
  });

  it('given three variants, when the preferred one is detached, then the oldest remaining becomes preferred', () => {
    const session = given(attached('preview_a'), attached('preview_b'), attached('preview_c'), { type: 'PreferredPreviewChosen', data: { variantId: 'preview_c' } }, { type: 'PreviewDetached', data: { variantId: 'preview_c' } });
    assert.equal(session.preferredPreviewId, 'preview_a');
    assert.deepEqual(session.previews.map((variant) => variant.id), ['preview_a', 'preview_b']);
  });

  it('given one variant, when it is detached, then the session has no preferred preview', () => {
    const session = given(attached('preview_a'), { type: 'PreviewDetached', data: { variantId: 'preview_a' } });
    assert.deepEqual([session.previews, session.preferredPreviewId], [[], null]);
  });

  it('given a pending variant, when analysed and then failed, then its status follows and updatedAt does not', () => {
    const ready = given(attached('preview_a'), { type: 'PreviewAnalysed', data: { variantId: 'preview_a', durationMs: 1000, sampleRate: 44100, channels: 2 } });
    assert.equal(ready.previews[0].status, 'ready');
    const failed = evolveSession(ready, stored(4, 'PreviewFailed', { variantId: 'preview_a', reason: 'gone' }, '2026-11-29T12:00:00.000Z'))!;
    assert.equal(failed.previews[0].status, 'failed');
    assert.equal(failed.updatedAt, ready.updatedAt);
  });
});

describe('previews: decide', () => {
  it('given no name or id, when attaching, then the name is the file name and the id a slug of it', () => {
    const [event] = decideAttachPreview(given(), { path: '/mixes/Song A v2 (final).wav', mime: 'audio/wav' });
    assert.deepEqual(event.data, { variantId: 'preview_song-a-v2-final', name: 'Song A v2 (final)', path: '/mixes/Song A v2 (final).wav', mime: 'audio/wav' });
    assert.equal(fileTitle('C:\\Bounces\\mix.aiff'), 'mix');
  });

  it('given a variant with the slug id already, when attaching the same name, then the new id is numbered', () => {
    const session = given(attached('preview_mix'), attached('preview_mix-2'));
    assert.equal(decideAttachPreview(session, { path: '/x/mix.wav', mime: 'audio/wav' })[0].data.variantId, 'preview_mix-3');
  });

  it('given a variant, when attaching with its id, then 409 conflict', () => {
    assert.throws(() => decideAttachPreview(given(attached('preview_main')), { path: '/x.wav', id: 'preview_main', mime: 'audio/wav' }), expectApiError('conflict'));
  });

  it('given no such variant, when detaching, then 404', () => {
    assert.throws(() => decideDetachPreview(given(), 'preview_x'), expectApiError('not_found'));
  });

  it('given variants, when PATCH names one as preferred, then PreferredPreviewChosen; naming none is invalid; the same one is no change', () => {
    const session = given(attached('preview_a'), attached('preview_b'));
    assert.deepEqual(decideUpdateSession(session, { preferredPreviewId: 'preview_b', title: 'New' }), [
      { type: 'SessionUpdated', data: { title: 'New' } },
      { type: 'PreferredPreviewChosen', data: { variantId: 'preview_b' } },
    ]);
    assert.throws(() => decideUpdateSession(session, { preferredPreviewId: 'preview_zz' }), expectApiError('invalid_request'));
    assert.deepEqual(decideUpdateSession(session, { preferredPreviewId: 'preview_a' }), []);
  });

  it('given an analysis outcome, then it is recorded once, and not at all for a variant that moved or left', () => {
    const session = given(attached('preview_a', '/a.wav'));
    const analysed = { variantId: 'preview_a', path: '/a.wav', analysed: { durationMs: 10, sampleRate: 8000, channels: 1 } };
    assert.equal(decideRecordAnalysis(session, analysed)[0].type, 'PreviewAnalysed');
    const ready = given(attached('preview_a', '/a.wav'), { type: 'PreviewAnalysed', data: { variantId: 'preview_a', durationMs: 10, sampleRate: 8000, channels: 1 } });
    assert.deepEqual(decideRecordAnalysis(ready, analysed), []);
    assert.equal(decideRecordAnalysis(ready, { variantId: 'preview_a', path: '/a.wav', failed: 'missing' })[0].type, 'PreviewFailed');
    assert.deepEqual(decideRecordAnalysis(ready, { variantId: 'preview_a', path: '/other.wav', failed: 'missing' }), []);
    assert.deepEqual(decideRecordAnalysis(ready, { variantId: 'preview_b', path: '/a.wav', failed: 'missing' }), []);
  });
});

describe('waveform notes: decide', () => {
  let counter = 0;
  const newNoteId = () => `note_${(counter += 1)}`;
  const first = decideReplaceWaveformNotes({
    lane: 'preview_main',
    current: [],
    body: { notes: [{ timestamp: 18, text: 'Mute the riser' }, { timestamp: 12.5, text: 'Drop starts here' }] },
    at: created,
    newNoteId,
  });
  const lane = first[0].data.notes as Array<{ id: string; timestamp: number; text: string; createdAt: string; updatedAt: string }>;

  it('given an empty lane, when notes are put, then each gets an id, both times are now, sorted by timestamp', () => {
    assert.deepEqual(lane.map((note) => [note.timestamp, note.text, note.createdAt, note.updatedAt]), [
      [12.5, 'Drop starts here', created, created],
      [18, 'Mute the riser', created, created],
    ]);
    assert.notEqual(lane[0].id, lane[1].id);
  });

  it('given a lane, when one note is edited, then the other keeps id and times and the edited one keeps id and createdAt', () => {
    const body = { notes: [{ id: lane[0].id, timestamp: 12.5, text: 'Drop starts here' }, { id: lane[1].id, timestamp: 19, text: 'Mute the riser', createdAt: 'ignored' }] };
    const [event] = decideReplaceWaveformNotes({ lane: 'preview_main', current: lane, body, at: later, newNoteId });
    assert.deepEqual(event.data.notes, [lane[0], { ...lane[1], timestamp: 19, updatedAt: later }]);
  });

  it('given a lane, when the same notes are put again, then nothing is appended; an unknown id is a new note', () => {
    const same = { notes: lane.map(({ id, timestamp, text }) => ({ id, timestamp, text })) };
    assert.deepEqual(decideReplaceWaveformNotes({ lane: 'preview_main', current: lane, body: same, at: later, newNoteId }), []);
    const [event] = decideReplaceWaveformNotes({ lane: 'l', current: lane, body: { notes: [{ id: 'note_unknown', timestamp: 1, text: 'x' }] }, at: later, newNoteId });
    assert.notEqual((event.data.notes as Array<{ id: string }>)[0].id, 'note_unknown');
  });

  it('given lanes, when a variant is detached or the session deleted, then its lanes go', () => {
    const model = new WaveformNotesProjection();
    const note = { id: 'note_1', timestamp: 1, text: 'x', createdAt: created, updatedAt: created };
    model.apply(stored(2, 'WaveformNotesReplaced', { lane: 'preview_a', notes: [note] }));
    model.apply(stored(3, 'WaveformNotesReplaced', { lane: 'preview_b', notes: [note] }));
    model.apply(stored(4, 'PreviewDetached', { variantId: 'preview_a' }));
    const shown = { ...note, createdAt: '2026-11-29T10:00:00Z', updatedAt: '2026-11-29T10:00:00Z' };
    assert.deepEqual([model.notes('session_A', 'preview_a'), model.notes('session_A', 'preview_b')], [[], [shown]]);
    const copy = new WaveformNotesProjection();
    copy.restore(itemsOf(model.snapshot()));
    assert.deepEqual(copy.snapshot(), model.snapshot());
    model.apply(stored(5, 'SessionDeleted', {}));
    assert.deepEqual(model.snapshot(), []);
  });
});

describe('peaks: accumulate', () => {
  /** Feeds `frames` frames whose peak is `peakAt(frame)`, in runs as the analysers do. */
  function fold(accumulator: PeakAccumulator, frames: number, peakAt: (frame: number) => number): number[] {
    for (let frame = 0; frame < frames; ) {
      const run = Math.min(accumulator.room(), frames - frame);
      let peak = 0;
      for (let i = frame; i < frame + run; i += 1) peak = Math.max(peak, peakAt(i));
      accumulator.add(peak, run);
      frame += run;
    }
    return accumulator.peaks();
  }

  const reference = (frames: number, points: number, peakAt: (frame: number) => number) =>
    Array.from({ length: points }, (_, i) => {
      let peak = 0;
      for (let f = Math.floor((i * frames) / points); f < Math.floor(((i + 1) * frames) / points); f += 1) peak = Math.max(peak, peakAt(f));
      return Math.round(peak * 1e4) / 1e4;
    });

  const burst = (frame: number) => (frame >= 700 && frame < 1000 ? 1 : frame % 7 === 0 ? 0.25 : 0);

  it('given the exact frame count, then bucket i holds frames [floor(i·N/P), floor((i+1)·N/P))', () => {
    assert.deepEqual(fold(new PeakAccumulator(1000, 30, 1), 1000, burst), reference(1000, 30, burst));
  });

  it('given an exact estimate with fine buckets, then the same peaks', () => {
    assert.deepEqual(fold(new PeakAccumulator(1000, 30, 8), 1000, burst), reference(1000, 30, burst));
  });

  it('given an estimate that is short or long, then the peaks still cover the real frames (burst in the last ~30%)', () => {
    for (const estimate of [600, 1400, 0]) {
      const peaks = fold(new PeakAccumulator(estimate, 10, 8), 1000, burst);
      assert.equal(peaks.length, 10);
      assert.deepEqual(peaks.slice(0, 6), Array(6).fill(0.25), `estimate ${estimate}`);
      assert.ok(peaks.slice(7).every((peak) => peak === 1), `estimate ${estimate}: ${peaks}`);
    }
  });

  it('given fewer frames than points, then the empty buckets are 0', () => {
    assert.deepEqual(fold(new PeakAccumulator(3, 6, 1), 3, () => 0.5), [0, 0.5, 0, 0.5, 0, 0.5]);
  });
});

describe('pcm: peak reader', () => {
  /** The naive peak of samples [from, to): each sample decoded on its own. */
  function naivePeak(buffer: Buffer, bytes: number, from: number, to: number, bigEndian = false): number {
    let peak = 0;
    for (let i = from; i < to; i += 1) {
      const value = bigEndian ? buffer.readIntBE(i * bytes, bytes) : buffer.readIntLE(i * bytes, bytes);
      peak = Math.max(peak, Math.abs(value) / 2 ** (bytes * 8 - 1));
    }
    return Math.min(1, peak);
  }

  it('given random integer samples of every width and byte order, then any run [from, to) has the naive peak (runs may start mid-word)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 3, 4),
        fc.boolean(),
        fc.uint8Array({ minLength: 96, maxLength: 96 }),
        fc.nat(23),
        fc.nat(24),
        (bytes, bigEndian, random, start, length) => {
          const buffer = Buffer.allocUnsafeSlow(96);
          buffer.set(random);
          const count = Math.floor(96 / bytes);
          const from = Math.min(start, count);
          const to = Math.min(from + length, count);
          const read = peakReader({ bytesPerSample: bytes as 2 | 3 | 4, float: false, bigEndian }, buffer);
          return Math.abs(read(from, to) - naivePeak(buffer, bytes, from, to, bigEndian)) < 1e-9;
        },
      ),
    );
  });
});
