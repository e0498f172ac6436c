import WaveSurfer from 'wavesurfer.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, apiUrl, call, get } from '../api';
import { writable } from '../app-state';
import { clock } from '../format';
import type { PreviewVariant, Session, Waveform, WaveformNotesLane } from '../types';
import { ErrorText } from './ErrorText';

/** The waveform route's bounds (contract §6) and how many points a pixel of width is worth. */
const MIN_POINTS = 16;
const MAX_POINTS = 2_000;
const POINTS_PER_PIXEL = 0.5;
/** The peaks are fetched again when the width changes by more than this share. */
const REFETCH_SHARE = 0.25;

const pointsFor = (width: number) => Math.min(MAX_POINTS, Math.max(MIN_POINTS, Math.round(width * POINTS_PER_PIXEL)));

type LaneNote = WaveformNotesLane['notes'][number];
type DraftNote = { id?: string; timestamp: number; text: string };

/**
 * One variant's waveform, drawn by wavesurfer.js from the server's peaks and played through an
 * audio element that streams `/preview/audio` (the browser asks for ranges; nothing is decoded
 * here), with the variant's waveform notes as markers: click one to seek, `n` adds one at the playhead.
 */
export function WaveformPanel({ session, variant }: { session: Session; variant: PreviewVariant }) {
  const container = useRef<HTMLDivElement>(null);
  const audio = useRef<HTMLAudioElement>(null);
  const surfer = useRef<WaveSurfer | null>(null);
  const [waveform, setWaveform] = useState<Waveform | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [width, setWidth] = useState(0);
  const [fetchedWidth, setFetchedWidth] = useState(0);
  const [time, setTime] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [lane, setLane] = useState<LaneNote[]>([]);
  const [editing, setEditing] = useState<DraftNote | null>(null);
  const audioSrc = apiUrl(`/sessions/${session.id}/preview/audio`, { variantId: variant.id });
  const duration = waveform ? waveform.durationMs / 1000 : 0;

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.round(entry.contentRect.width)));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // The peaks for this width: fetched when the variant is ready, and again when the width moved far.
  useEffect(() => {
    if (variant.status !== 'ready' || width === 0) return;
    if (waveform !== null && Math.abs(width - fetchedWidth) <= fetchedWidth * REFETCH_SHARE) return;
    const controller = new AbortController();
    get<Waveform>(`/sessions/${session.id}/waveform`, { query: { variantId: variant.id, points: pointsFor(width) }, signal: controller.signal })
      .then((answer) => {
        setWaveform(answer.data);
        setFetchedWidth(width);
        setError(null);
      })
      .catch((failure) => !controller.signal.aborted && setError(failure as ApiFailure));
    return () => controller.abort();
  }, [variant.status, width]);

  useEffect(() => {
    if (!waveform || !container.current || !audio.current) return;
    const peaks = [waveform.peaks];
    if (surfer.current) {
      surfer.current.setOptions({ peaks, duration: waveform.durationMs / 1000 });
      return;
    }
    const styles = getComputedStyle(container.current);
    const created = WaveSurfer.create({
      container: container.current,
      media: audio.current,
      peaks,
      duration: waveform.durationMs / 1000,
      height: 96,
      waveColor: styles.getPropertyValue('--wave').trim() || '#8b8d98',
      progressColor: styles.getPropertyValue('--wave-progress').trim() || '#0090ff',
      cursorColor: styles.getPropertyValue('--text').trim() || '#000',
      barWidth: 2,
      barGap: 1,
      dragToSeek: true,
    });
    created.on('timeupdate', (seconds) => setTime(seconds));
    created.on('play', () => setPlaying(true));
    created.on('pause', () => setPlaying(false));
    surfer.current = created;
  }, [waveform]);

  useEffect(() => () => surfer.current?.destroy(), []);

  const loadLane = () =>
    get<WaveformNotesLane>(`/sessions/${session.id}/waveform-notes`, { query: { variantId: variant.id } })
      .then((answer) => setLane(answer.data.notes))
      .catch((failure) => setError(failure as ApiFailure));
  useEffect(() => void loadLane(), [session.version]);

  const saveLane = async (notes: DraftNote[]) => {
    try {
      const answer = await call<WaveformNotesLane>('PUT', `/sessions/${session.id}/waveform-notes`, {
        query: { variantId: variant.id },
        body: { notes: notes.map(({ id, timestamp, text }) => (id ? { id, timestamp, text } : { timestamp, text })) },
      });
      setLane(answer.data.notes);
      setEditing(null);
      setError(null);
    } catch (failure) {
      setError(failure as ApiFailure);
    }
  };

  const seek = (seconds: number) => {
    if (audio.current) audio.current.currentTime = seconds;
    setTime(seconds);
  };
  const togglePlay = () => void (audio.current?.paused ? audio.current.play().catch(() => undefined) : audio.current?.pause());
  const noteAtPlayhead = () => setEditing({ timestamp: Math.round((audio.current?.currentTime ?? time) * 10) / 10, text: '' });

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (event.metaKey || event.ctrlKey || event.altKey || (target && ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
      if (event.key === 'n' && writable.value && waveform) {
        event.preventDefault();
        noteAtPlayhead();
      } else if (event.key === ' ' && waveform) {
        event.preventDefault();
        togglePlay();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  });

  const submitNote = (event: Event) => {
    event.preventDefault();
    if (!editing || !editing.text.trim()) return;
    const others = lane.filter((note) => note.id !== editing.id);
    void saveLane([...others, editing]);
  };

  return (
    <div class="waveform-panel">
      <audio ref={audio} src={audioSrc} preload="metadata" data-testid="preview-audio" />
      {variant.status === 'pending' && (
        <p class="pending" role="status">
          <span class="spinner" aria-hidden="true" /> Analysing the audio… the waveform appears when it is done.
        </p>
      )}
      {variant.status === 'failed' && <p class="error">This preview could not be read. Attach another file, or fix it and attach it again.</p>}
      <div class="waveform-area">
        <div class="waveform" ref={container} data-testid="waveform" aria-label={`Waveform of ${variant.name}`} role="img" />
        {duration > 0 && (
          <ol class="markers" aria-label="Waveform notes">
            {lane.map((note) => (
              <li style={{ left: `${Math.min(100, (note.timestamp / duration) * 100)}%` }}>
                <button type="button" class="marker" title={`${clock(note.timestamp)} ${note.text}`} aria-label={`Note at ${clock(note.timestamp)}: ${note.text}`} onClick={() => seek(note.timestamp)} />
              </li>
            ))}
          </ol>
        )}
      </div>
      <div class="transport">
        <button type="button" onClick={togglePlay} disabled={!waveform} aria-label={playing ? 'Pause' : 'Play'} data-testid="play">
          {playing ? '❚❚ Pause' : '▶ Play'}
        </button>
        <span class="time" aria-live="off">
          {clock(time, 1)} / {clock(duration, 1)}
        </span>
        {writable.value && (
          <button type="button" class="quiet" onClick={noteAtPlayhead} disabled={!waveform} title="Add a note at the playhead (n)">
            + Note at {clock(time, 1)}
          </button>
        )}
      </div>
      {editing && (
        <form class="note-form" onSubmit={submitNote} aria-label="Waveform note">
          <label>
            <span>Note at {clock(editing.timestamp, 1)}</span>
            <input name="noteText" value={editing.text} maxLength={2000} required autoFocus onInput={(event) => setEditing({ ...editing, text: event.currentTarget.value })} />
          </label>
          <button type="submit">Save note</button>
          <button type="button" class="quiet" onClick={() => setEditing(null)}>
            Cancel
          </button>
        </form>
      )}
      <ul class="lane" aria-label="Notes on this preview">
        {lane.map((note) => (
          <li>
            <button type="button" class="link time" onClick={() => seek(note.timestamp)}>
              {clock(note.timestamp, 1)}
            </button>
            <span class="text">{note.text}</span>
            {writable.value && (
              <>
                <button type="button" class="quiet" onClick={() => setEditing({ id: note.id, timestamp: note.timestamp, text: note.text })}>
                  Edit
                </button>
                <button type="button" class="quiet danger" aria-label={`Delete the note at ${clock(note.timestamp)}`} onClick={() => void saveLane(lane.filter((other) => other.id !== note.id))}>
                  Delete
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
      <ErrorText error={error} />
    </div>
  );
}
