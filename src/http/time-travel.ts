import { upcast } from '../../events/catalogue';
import { evolveSession, type SessionState } from '../../projections/session-state';
import type { EventStore } from '../store';

/** A session as it was once the log reached `position`, folded from its stream (the log read on purpose). */
export async function sessionAt(store: EventStore, sessionId: string, position: number): Promise<SessionState | undefined> {
  const events = await store.readStream(sessionId);
  return events.filter((event) => event.position <= position).map(upcast).reduce(evolveSession, undefined);
}
