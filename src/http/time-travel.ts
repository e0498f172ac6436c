import { upcast } from '../../events/catalogue';
import { evolveSession, type SessionState } from '../../projections/session-state';
import type { EventStore } from '../store';
import type { FoldCheckpoints } from './fold-checkpoints';

/** Events folded per read of the log: what one time-travel read holds at a time. */
export const FOLD_PAGE = 64;

/**
 * A session as it was once the log reached `position`, folded from its stream (the log read on
 * purpose). Only the versions up to that position are read, a page at a time, from the nearest
 * of the `checkpoints` (which the fold fills in as it passes them). When the session as the read
 * model holds it (`current`) is at that very version, it is the answer and nothing is read.
 */
export async function sessionAt(
  store: EventStore,
  sessionId: string,
  position: number,
  { current, checkpoints }: { current?: SessionState; checkpoints?: FoldCheckpoints } = {},
): Promise<SessionState | undefined> {
  const version = await store.versionAt(sessionId, position);
  if (version === 0) return undefined;
  if (current?.id === sessionId && current.version === version) return current;
  let { version: folded, state: session } = checkpoints?.nearest(sessionId, version) ?? { version: 0, state: undefined };
  while (folded < version) {
    // Pages end on checkpoint versions, so each full page leaves one behind.
    const to = Math.min(version, folded + FOLD_PAGE - (folded % FOLD_PAGE));
    const events = await store.readStream(sessionId, folded + 1, to);
    if (events.length === 0) break;
    for (const event of events) session = evolveSession(session, upcast(event));
    folded = events[events.length - 1].version;
    checkpoints?.offer(sessionId, folded, session);
  }
  return session;
}
