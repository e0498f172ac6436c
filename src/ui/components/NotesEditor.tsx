import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, call } from '../api';
import { writable } from '../app-state';
import type { Session } from '../types';
import { ErrorText } from './ErrorText';

const MAX_NOTES = 20_000;

/** The session's notes: PUT /sessions/{id}/notes, guarded by If-Match. */
export function NotesEditor({ session, onSaved }: { session: Session; onSaved(): void }) {
  const [text, setText] = useState(session.notes);
  const [saved, setSaved] = useState(session.notes);
  const [error, setError] = useState<ApiFailure | null>(null);
  const dirty = text !== saved;

  useEffect(() => {
    if (!dirty) setText(session.notes);
    setSaved(session.notes);
  }, [session.notes]);

  const save = async () => {
    try {
      await call('PUT', `/sessions/${session.id}/notes`, { body: { notes: text }, ifMatch: session.version });
      setSaved(text);
      setError(null);
      onSaved();
    } catch (failure) {
      setError(failure as ApiFailure);
    }
  };

  return (
    <section class="notes" aria-labelledby="notes-heading">
      <h3 id="notes-heading">Notes</h3>
      <label>
        <span class="visually-hidden">Notes</span>
        <textarea rows={6} maxLength={MAX_NOTES} value={text} disabled={!writable.value} onInput={(event) => setText(event.currentTarget.value)} />
      </label>
      <ErrorText error={error} />
      <div class="actions">
        <button type="button" disabled={!dirty || !writable.value} onClick={() => void save()}>
          Save notes
        </button>
        <span class="hint">{text.length.toLocaleString()} / {MAX_NOTES.toLocaleString()}</span>
      </div>
    </section>
  );
}
