import { ApiFailure, call } from './api';
import { tell } from './app-state';
import type { Session } from './types';

/** "Open in DAW": POST /sessions/{id}/open; the contract's message when it cannot. */
export async function openInDaw(session: Pick<Session, 'id' | 'title'>): Promise<void> {
  try {
    await call('POST', `/sessions/${session.id}/open`);
    tell(`Opened “${session.title}”.`);
  } catch (error) {
    tell(error instanceof ApiFailure ? error.message : String(error), true);
  }
}
