import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, call } from '../api';
import { writable } from '../app-state';
import type { Session } from '../types';
import { ErrorText } from './ErrorText';
import { COMMON_STATUSES } from './Toolbar';

const EDITABLE = ['title', 'status', 'accent', 'client', 'projectPath'] as const;
type Field = (typeof EDITABLE)[number];
type Draft = Record<Field, string>;

const NAMED_ACCENTS = ['default', 'red', 'orange', 'amber', 'yellow', 'green', 'teal', 'blue', 'indigo', 'purple', 'pink', 'gray'];
const LABELS: Record<Field, string> = { title: 'Title', status: 'Status', accent: 'Accent', client: 'Client', projectPath: 'Project path' };

const draftOf = (session: Session): Draft => ({
  title: session.title,
  status: session.status,
  accent: session.accent,
  client: session.client ?? '',
  projectPath: session.projectPath ?? '',
});

/** The body of a PATCH: only what the person changed; an emptied client or path is cleared (null). */
function changesOf(base: Draft, draft: Draft): Partial<Record<Field, string | null>> {
  const changes: Partial<Record<Field, string | null>> = {};
  for (const field of EDITABLE) {
    if (draft[field] === base[field]) continue;
    changes[field] = (field === 'client' || field === 'projectPath') && draft[field].trim() === '' ? null : draft[field];
  }
  return changes;
}

interface Conflict {
  current: Session;
  /** Fields another client changed since this form was filled from the session. */
  theirs: Field[];
}

/**
 * Edits a session's fields with PATCH and If-Match (contract §10): when someone else changed the
 * session meanwhile (412), it shows what they changed and lets the person re-apply or discard theirs.
 */
export function SessionForm({ session, onSaved }: { session: Session; onSaved(session: Session): void }) {
  const [base, setBase] = useState<Session>(session);
  const [draft, setDraft] = useState<Draft>(draftOf(session));
  const [error, setError] = useState<ApiFailure | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [busy, setBusy] = useState(false);
  const changes = changesOf(draftOf(base), draft);
  const dirty = Object.keys(changes).length > 0;

  // Another client's change: shown at once unless the person is editing (then the save will tell).
  useEffect(() => {
    if (session.version === base.version) return;
    if (!dirty) {
      setBase(session);
      setDraft(draftOf(session));
    }
  }, [session]);

  const save = async (version: number, body: object) => {
    setBusy(true);
    try {
      const answer = await call<Session>('PATCH', `/sessions/${session.id}`, { body, ifMatch: version });
      setBase(answer.data);
      setDraft(draftOf(answer.data));
      setConflict(null);
      setError(null);
      onSaved(answer.data);
    } catch (failure) {
      if (failure instanceof ApiFailure && failure.code === 'version_conflict') {
        const current = (await call<Session>('GET', `/sessions/${session.id}`)).data;
        const was = draftOf(base);
        const now = draftOf(current);
        setConflict({ current, theirs: EDITABLE.filter((field) => was[field] !== now[field]) });
      } else {
        setError(failure as ApiFailure);
      }
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: Event) => {
    event.preventDefault();
    if (dirty) void save(base.version, changes);
  };

  const field = (name: Field, props: Record<string, unknown> = {}) => (
    <label>
      <span>{LABELS[name]}</span>
      <input name={name} value={draft[name]} disabled={!writable.value} onInput={(event) => setDraft({ ...draft, [name]: event.currentTarget.value })} {...props} />
    </label>
  );

  return (
    <form class="session-form" onSubmit={submit} aria-label="Session details">
      {field('title', { required: true, maxLength: 200 })}
      <div class="pair">
        {field('status', { list: 'statuses', maxLength: 32 })}
        {field('accent', { list: 'accents', maxLength: 32 })}
        <input
          type="color"
          aria-label="Accent colour"
          disabled={!writable.value}
          value={/^#[0-9a-f]{6}$/i.test(draft.accent) ? draft.accent : '#7c8594'}
          onInput={(event) => setDraft({ ...draft, accent: event.currentTarget.value })}
        />
      </div>
      <datalist id="statuses">
        {COMMON_STATUSES.map((status) => (
          <option value={status} />
        ))}
      </datalist>
      <datalist id="accents">
        {NAMED_ACCENTS.map((accent) => (
          <option value={accent} />
        ))}
      </datalist>
      {field('client', { maxLength: 200 })}
      {field('projectPath', { maxLength: 4096, placeholder: '/Users/me/Music/Song.als' })}
      {conflict && (
        <div class="conflict" role="alert" data-testid="conflict">
          <p>
            Someone else changed this session while you were editing it (now version {conflict.current.version}).
            {conflict.theirs.length > 0 ? ` They changed: ${conflict.theirs.map((name) => `${LABELS[name]} → “${draftOf(conflict.current)[name]}”`).join(', ')}.` : ''}
          </p>
          <button type="button" onClick={() => void save(conflict.current.version, changes)}>
            Apply my changes on top
          </button>
          <button
            type="button"
            class="quiet"
            onClick={() => {
              setBase(conflict.current);
              setDraft(draftOf(conflict.current));
              setConflict(null);
              onSaved(conflict.current);
            }}
          >
            Discard my changes
          </button>
        </div>
      )}
      <ErrorText error={error} />
      <div class="actions">
        <button type="submit" disabled={!dirty || busy || !writable.value}>
          Save
        </button>
        {dirty && (
          <button type="button" class="quiet" onClick={() => setDraft(draftOf(base))}>
            Undo changes
          </button>
        )}
      </div>
    </form>
  );
}
