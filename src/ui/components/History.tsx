import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, get } from '../api';
import { dateTime } from '../format';
import type { ApiEvent, Session } from '../types';
import { ErrorText } from './ErrorText';

const PAGE = 50;

/** A line per event: what it changed, in words. */
function summary(event: ApiEvent): string {
  const data = event.data as Record<string, unknown>;
  const fields = Object.keys(data).filter((key) => key !== 'sessionId');
  switch (event.type) {
    case 'SessionCreated':
      return `Created “${String(data.title ?? '')}”`;
    case 'SessionUpdated':
      return `Changed ${fields.join(', ')}`;
    case 'SessionNotesReplaced':
      return 'Replaced the notes';
    case 'SessionTagsReplaced':
      return `Tags: ${Array.isArray(data.tags) ? data.tags.join(', ') || 'none' : ''}`;
    case 'SessionOpened':
      return 'Opened in the DAW';
    case 'SessionDeleted':
      return 'Deleted';
    default:
      return event.type.replace(/([a-z])([A-Z])/g, '$1 $2');
  }
}

/**
 * The session's timeline from /sessions/{id}/history: who, what, when and which request, oldest
 * first; "View as of" shows the session as it was at that event (`?at=`), read-only.
 */
export function History({ session }: { session: Session }) {
  const [events, setEvents] = useState<ApiEvent[]>([]);
  const [total, setTotal] = useState(0);
  const [asOf, setAsOf] = useState<{ position: number; session: Session } | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);

  const load = (offset: number) =>
    get<ApiEvent[]>(`/sessions/${session.id}/history`, { query: { limit: PAGE, offset } })
      .then((answer) => {
        setEvents((held) => (offset === 0 ? answer.data : [...held, ...answer.data]));
        setTotal(answer.meta?.total ?? answer.data.length);
      })
      .catch((failure) => setError(failure as ApiFailure));

  useEffect(() => void load(0), [session.id, session.version]);

  const viewAsOf = (position: number) =>
    get<Session>(`/sessions/${session.id}`, { query: { at: position } })
      .then((answer) => setAsOf({ position, session: answer.data }))
      .catch((failure) => setError(failure as ApiFailure));

  return (
    <section class="history" aria-labelledby="history-heading">
      <h3 id="history-heading">History</h3>
      <ol>
        {events.map((event) => (
          <li>
            <span class="what">{summary(event)}</span>
            <span class="when" title={event.meta.at}>
              {dateTime(event.meta.at)}
            </span>
            <span class="who">by {event.meta.actor}</span>
            <code class="request" title="Request id">
              {event.meta.requestId}
            </code>
            <button type="button" class="quiet" onClick={() => void viewAsOf(event.position)}>
              View as of #{event.position}
            </button>
          </li>
        ))}
      </ol>
      {events.length < total && (
        <button type="button" class="quiet" onClick={() => void load(events.length)}>
          Later events ({total - events.length} more)
        </button>
      )}
      {asOf && (
        <div class="as-of" role="region" aria-label={`The session as of event ${asOf.position}`}>
          <h4>As of event #{asOf.position} (read-only)</h4>
          <dl>
            {(['title', 'status', 'accent', 'kind', 'client', 'projectPath', 'tags', 'notes', 'version'] as const).map((field) => (
              <>
                <dt>{field}</dt>
                <dd>{JSON.stringify(asOf.session[field])}</dd>
              </>
            ))}
          </dl>
          <button type="button" class="quiet" onClick={() => setAsOf(null)}>
            Close
          </button>
        </div>
      )}
      <ErrorText error={error} />
    </section>
  );
}
