import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, call, get } from '../api';
import { writable } from '../app-state';
import type { Session, TagCount } from '../types';
import { ErrorText } from './ErrorText';

const MAX_TAGS = 64;
const SUGGESTIONS = 200;

/** The session's tags: chips, one field to add with suggestions from /tags; each change is a PUT of the whole list. */
export function TagsEditor({ session, onSaved }: { session: Session; onSaved(): void }) {
  const [adding, setAdding] = useState('');
  const [known, setKnown] = useState<string[]>([]);
  const [error, setError] = useState<ApiFailure | null>(null);

  useEffect(() => {
    get<TagCount[]>('/tags', { query: { limit: SUGGESTIONS } })
      .then((answer) => setKnown(answer.data.map((entry) => entry.tag)))
      .catch(() => setKnown([]));
  }, [session.id]);

  const replace = async (tags: string[]) => {
    try {
      await call('PUT', `/sessions/${session.id}/tags`, { body: { tags }, ifMatch: session.version });
      setError(null);
      onSaved();
    } catch (failure) {
      setError(failure as ApiFailure);
    }
  };

  const add = (event: Event) => {
    event.preventDefault();
    const tag = adding.trim();
    if (!tag) return;
    setAdding('');
    if (!session.tags.some((existing) => existing.toLowerCase() === tag.toLowerCase())) void replace([...session.tags, tag]);
  };

  return (
    <section class="tags-editor" aria-labelledby="tags-heading">
      <h3 id="tags-heading">Tags</h3>
      <ul class="tags">
        {session.tags.map((tag) => (
          <li>
            {tag}
            {writable.value && (
              <button type="button" class="chip-remove" aria-label={`Remove tag ${tag}`} onClick={() => void replace(session.tags.filter((other) => other !== tag))}>
                ×
              </button>
            )}
          </li>
        ))}
      </ul>
      {writable.value && session.tags.length < MAX_TAGS && (
        <form onSubmit={add} class="inline">
          <label>
            <span class="visually-hidden">Add a tag</span>
            <input value={adding} list="known-tags" maxLength={48} placeholder="Add a tag" onInput={(event) => setAdding(event.currentTarget.value)} />
          </label>
          <datalist id="known-tags">
            {known.map((tag) => (
              <option value={tag} />
            ))}
          </datalist>
          <button type="submit" class="quiet">
            Add
          </button>
        </form>
      )}
      <ErrorText error={error} />
    </section>
  );
}
