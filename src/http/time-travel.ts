import { upcast } from '../../events/catalogue';
import { evolveSession, type SessionState } from '../../projections/session-state';
import type { EventStore } from '../store';

/** Events folded per read of the log: what one time-travel read holds at a time. */
export const FOLD_PAGE = 256;

/**
 * A session as it was once the log reached `position`, folded from its stream (the log read on
 * purpose). Only the versions up to that position are read, a page at a time; when the session as
 * the read model holds it (`current`) is at that very version, it is the answer and nothing is read.
 */
export async function sessionAt(store: EventStore, sessionId: string, position: number, current?: SessionState): Promise<SessionState | undefined> {
  const version = await store.versionAt(sessionId, position);
  if (version === 0) return undefined;
  if (current?.id === sessionId && current.version === version) return current;
  let session: SessionState | undefined;
  for (let from = 1; from <= version; from += FOLD_PAGE) {
    const events = await store.readStream(sessionId, from, Math.min(version, from + FOLD_PAGE - 1));
    for (const event of events) session = evolveSession(session, upcast(event));
  }
  return session;
}
