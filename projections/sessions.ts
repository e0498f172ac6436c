import type { StoredEvent } from '../events/envelope';
import type { Projection } from './runner';
import { evolveSession, type SessionState } from './session-state';

export interface Page<T> {
  items: T[];
  total: number;
}

/**
 * Default listing order (contract §5.3): last opened first, never-opened last, then most recently
 * updated, then id so that pages are stable.
 */
export function compareDefaultOrder(a: SessionState, b: SessionState): number {
  if (a.lastOpened !== b.lastOpened) {
    if (a.lastOpened === null) return 1;
    if (b.lastOpened === null) return -1;
    return a.lastOpened < b.lastOpened ? 1 : -1;
  }
  if (a.updatedAt !== b.updatedAt) return a.updatedAt < b.updatedAt ? 1 : -1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The sessions read model: every live session by id, folded from the log. */
export class SessionsProjection implements Projection {
  readonly name = 'sessions';
  private readonly sessions = new Map<string, SessionState>();

  apply(event: StoredEvent): void {
    if (!event.streamId.startsWith('session_')) return;
    const next = evolveSession(this.sessions.get(event.streamId), event);
    if (next) this.sessions.set(event.streamId, next);
    else this.sessions.delete(event.streamId);
  }

  get(id: string): SessionState | undefined {
    return this.sessions.get(id);
  }

  count(): number {
    return this.sessions.size;
  }

  list(limit: number, offset: number): Page<SessionState> {
    const ordered = [...this.sessions.values()].sort(compareDefaultOrder);
    return { items: ordered.slice(offset, offset + limit), total: ordered.length };
  }
}
