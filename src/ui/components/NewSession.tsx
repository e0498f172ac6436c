import { useState } from 'preact/hooks';
import { ApiFailure, call } from '../api';
import { writable, writesOffReason } from '../app-state';
import { go } from '../router';
import type { Session } from '../types';
import { ErrorText } from './ErrorText';

/** A new session from a title (and, optionally, its project's path): POST /sessions. */
export function NewSession() {
  const [open, setOpen] = useState(false);
  const [title, setTitle] = useState('');
  const [projectPath, setProjectPath] = useState('');
  const [error, setError] = useState<ApiFailure | null>(null);
  const [busy, setBusy] = useState(false);

  if (!open) {
    return (
      <button type="button" disabled={!writable.value} title={writesOffReason.value ?? undefined} onClick={() => setOpen(true)}>
        New session
      </button>
    );
  }
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const answer = await call<Session>('POST', '/sessions', { body: { title, ...(projectPath.trim() ? { projectPath: projectPath.trim() } : {}) } });
      setOpen(false);
      setTitle('');
      setProjectPath('');
      setError(null);
      go({ page: 'session', id: answer.data.id });
    } catch (failure) {
      setError(failure as ApiFailure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="new-session" onSubmit={submit} aria-label="New session">
      <label>
        <span>Title</span>
        <input name="title" value={title} required maxLength={200} onInput={(event) => setTitle(event.currentTarget.value)} autoFocus />
      </label>
      <label>
        <span>Project path (optional)</span>
        <input name="projectPath" value={projectPath} placeholder="/Users/me/Music/Song.als" onInput={(event) => setProjectPath(event.currentTarget.value)} />
      </label>
      <button type="submit" disabled={busy}>
        Create
      </button>
      <button type="button" class="quiet" onClick={() => setOpen(false)}>
        Cancel
      </button>
      <ErrorText error={error} />
    </form>
  );
}
