import type { EventMeta, NewEvent } from '../../events/envelope';
import type { SessionsProjection } from '../../projections/sessions';
import type { SessionState } from '../../projections/session-state';
import { ApiError } from '../errors';
import { isStoreError } from '../store';
import { commit, type CommitDeps } from './commit';

export interface SessionCommandDeps extends CommitDeps {
  sessions: SessionsProjection;
}

/** What If-Match allows: any version ('*'), some versions, or no precondition (undefined). */
export type VersionPrecondition = '*' | readonly number[] | undefined;

/** A hot session can lose this many races in a row before the writer is told to come back later. */
const MAX_ATTEMPTS = 64;

/**
 * Runs a command on a live session: decide on the state at its current version, append against
 * that version, and on a version conflict decide again on the newer state. With If-Match the
 * client pinned the version, so a conflict is its answer (412). A command that changes nothing
 * appends nothing. Resolves to the session after the command (undefined once deleted).
 */
export async function runSessionCommand(
  deps: SessionCommandDeps,
  sessionId: string,
  precondition: VersionPrecondition,
  decide: (state: SessionState) => NewEvent[],
  meta: EventMeta,
): Promise<SessionState | undefined> {
  for (let attempt = 1; ; attempt += 1) {
    const state = deps.sessions.get(sessionId);
    if (!state) throw new ApiError('not_found', 'session not found');
    if (precondition !== undefined && precondition !== '*' && !precondition.includes(state.version)) {
      throw new ApiError('version_conflict', `If-Match does not match the session's current version ${state.version}.`);
    }
    const events = decide(state);
    if (events.length === 0) return state;
    try {
      await commit(deps, sessionId, state.version, events, meta);
      return deps.sessions.get(sessionId);
    } catch (error) {
      if (!isStoreError(error, 'STORE_VERSION_CONFLICT')) throw error;
      if (attempt >= MAX_ATTEMPTS) {
        throw new ApiError('overloaded', 'Too many concurrent writes to this session: try again.', undefined, { 'Retry-After': '1' });
      }
    }
  }
}
