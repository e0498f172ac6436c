import { useEffect, useState } from 'preact/hooks';
import { openInDaw } from '../actions';
import { ApiFailure, call, get } from '../api';
import { tell, writable } from '../app-state';
import { lastConnected, lastSessionEvent } from '../changes';
import { accentColour, ago, dateTime } from '../format';
import { go } from '../router';
import type { Session } from '../types';
import { ErrorText } from './ErrorText';
import { History } from './History';
import { NotesEditor } from './NotesEditor';
import { Previews } from './Previews';
import { SessionForm } from './SessionForm';
import { TagsEditor } from './TagsEditor';

/** One session: its fields, notes, tags, previews with waveform and notes, history; follows changes made anywhere. */
export function Detail({ id }: { id: string }) {
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);

  const load = () =>
    get<Session>(`/sessions/${id}`)
      .then((answer) => {
        setSession(answer.data);
        setError(null);
      })
      .catch((failure) => setError(failure as ApiFailure));

  useEffect(() => {
    setSession(null);
    setConfirmDelete(false);
    void load();
  }, [id]);

  // Any client's change to this session (Raycast, a script, an agent, another tab) shows here.
  const changed = lastSessionEvent.value;
  useEffect(() => {
    if (changed?.streamId === id) void load();
  }, [changed]);
  const connected = lastConnected.value;
  useEffect(() => {
    if (connected > 1) void load();
  }, [connected]);

  if (error && !session) {
    return (
      <section class="detail" aria-label="Session">
        <ErrorText error={error} />
        <button type="button" class="quiet" onClick={() => go({ page: 'list' })}>
          Back to the sessions
        </button>
      </section>
    );
  }
  if (!session) return <section class="detail loading" aria-busy="true" aria-label="Session" />;

  const remove = async () => {
    try {
      await call('DELETE', `/sessions/${session.id}`, { ifMatch: session.version });
      tell(`Deleted “${session.title}”.`);
      go({ page: 'list' });
    } catch (failure) {
      setError(failure as ApiFailure);
    }
  };

  return (
    <section class="detail" aria-labelledby="detail-title" style={{ '--accent': accentColour(session.accent) }} data-session-id={session.id}>
      <header class="detail-header">
        <button type="button" class="quiet back" onClick={() => go({ page: 'list' })} aria-label="Back to the sessions">
          ←
        </button>
        <div>
          <h2 id="detail-title">{session.title}</h2>
          <p class="meta">
            <span>{session.kind}</span>
            <span title={session.lastOpened ? dateTime(session.lastOpened) : undefined}>opened {ago(session.lastOpened)}</span>
            <span title={dateTime(session.updatedAt)}>changed {ago(session.updatedAt)}</span>
            <span>version {session.version}</span>
          </p>
        </div>
        <div class="actions">
          <button type="button" disabled={!writable.value || !session.projectPath} onClick={() => void openInDaw(session)}>
            Open in DAW
          </button>
          {confirmDelete ? (
            <span role="alert" class="confirm">
              Delete “{session.title}”?{' '}
              <button type="button" class="danger" onClick={() => void remove()}>
                Delete
              </button>
              <button type="button" class="quiet" onClick={() => setConfirmDelete(false)}>
                Keep it
              </button>
            </span>
          ) : (
            <button type="button" class="quiet danger" disabled={!writable.value} onClick={() => setConfirmDelete(true)}>
              Delete…
            </button>
          )}
        </div>
      </header>
      <ErrorText error={error} />
      <SessionForm session={session} onSaved={(saved) => setSession(saved)} />
      <Previews session={session} onSaved={() => void load()} />
      <TagsEditor session={session} onSaved={() => void load()} />
      <NotesEditor session={session} onSaved={() => void load()} />
      <details>
        <summary>History</summary>
        <History session={session} />
      </details>
    </section>
  );
}
