import { useState } from 'preact/hooks';
import { ApiFailure, call } from '../api';
import { writable } from '../app-state';
import type { PreviewVariant, Session } from '../types';
import { ErrorText } from './ErrorText';
import { WaveformPanel } from './WaveformPanel';

const STATUS_LABELS = { ready: 'ready', pending: 'analysing…', failed: 'failed' } as const;

/** The session's preview variants (contract §6, §10): attach, detach, choose the preferred one, and hear it. */
export function Previews({ session, onSaved }: { session: Session; onSaved(): void }) {
  const [chosen, setChosen] = useState<string | null>(null);
  const [path, setPath] = useState('');
  const [error, setError] = useState<ApiFailure | null>(null);
  const variant: PreviewVariant | undefined =
    session.previews.find((candidate) => candidate.id === chosen) ?? session.previews.find((candidate) => candidate.id === session.preferredPreviewId) ?? session.previews[0];

  const act = async (action: () => Promise<unknown>) => {
    try {
      await action();
      setError(null);
      onSaved();
    } catch (failure) {
      setError(failure as ApiFailure);
    }
  };
  const attach = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      await call('POST', `/sessions/${session.id}/previews`, { body: { path: path.trim() } });
      setPath('');
    });
  };

  return (
    <section class="previews" aria-labelledby="previews-heading">
      <h3 id="previews-heading">Previews</h3>
      {session.previews.length === 0 && <p class="empty">No preview yet. Attach a bounce or a mixdown by its path.</p>}
      <ul class="variants">
        {session.previews.map((candidate) => (
          <li class={candidate.id === variant?.id ? 'current' : ''}>
            <button type="button" class="link" aria-pressed={candidate.id === variant?.id} onClick={() => setChosen(candidate.id)}>
              {candidate.name}
            </button>
            <span class={`badge preview-${candidate.status}`}>{STATUS_LABELS[candidate.status]}</span>
            {candidate.id === session.preferredPreviewId ? (
              <span class="badge preferred">preferred</span>
            ) : (
              writable.value && (
                <button type="button" class="quiet" onClick={() => void act(() => call('PATCH', `/sessions/${session.id}`, { body: { preferredPreviewId: candidate.id }, ifMatch: session.version }))}>
                  Make preferred
                </button>
              )
            )}
            {writable.value && (
              <button type="button" class="quiet danger" aria-label={`Detach ${candidate.name}`} onClick={() => void act(() => call('DELETE', `/sessions/${session.id}/previews/${encodeURIComponent(candidate.id)}`))}>
                Detach
              </button>
            )}
            <span class="path" title={candidate.path}>
              {candidate.path}
            </span>
          </li>
        ))}
      </ul>
      {variant && <WaveformPanel key={`${session.id}:${variant.id}`} session={session} variant={variant} />}
      {writable.value && (
        <form class="inline" onSubmit={attach}>
          <label>
            <span>Attach an audio file</span>
            <input name="previewPath" value={path} required placeholder="/Users/me/Music/Bounces/Song.wav" onInput={(event) => setPath(event.currentTarget.value)} />
          </label>
          <button type="submit">Attach</button>
        </form>
      )}
      <ErrorText error={error} />
    </section>
  );
}
