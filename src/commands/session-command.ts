import type { EventMeta, NewEvent } from '../../events/envelope';
import type { SessionsProjection } from '../../projections/sessions';
import type { SessionState } from '../../projections/session-state';
import { ApiError } from '../errors';
import { isStoreError } from '../store';
import type { KeyedQueue } from '../keyed-queue';
import { commit, type CommitDeps } from './commit';

export interface SessionCommandDeps extends CommitDeps {
  sessions: SessionsProjection;
  /** Commands on one session take turns, so a busy session does not turn into a storm of conflicts. */
  sessionCommands: KeyedQueue;
}

/** What If-Match allows: any version ('*'), some versions, or no precondition (undefined). */
export type VersionPrecondition = '*' | readonly number[] | undefined;

/** A hot session can lose this many races in a row before the writer is told to come back later. */
const MAX_ATTEMPTS = 64;

/**
 * Runs a command on a live session: decide on the state at its current version, append against
 * that version, and on a version conflict (a writer outside this queue) decide again on the newer
 * state. With If-Match the client pinned the version, so a mismatch is its answer (412). A command
 * that changes nothing appends nothing. Resolves to the session after the command (undefined once
 * deleted).
 */
export interface SessionCommand {
  sessionId: string;
  precondition: VersionPrecondition;
  decide: (state: SessionState) => NewEvent[];
  meta: EventMeta;
}

/** 412 unless the precondition admits the session's version. */
export function assertPrecondition(precondition: VersionPrecondition, version: number): void {
  if (precondition !== undefined && precondition !== '*' && !precondition.includes(version)) {
    throw new ApiError('version_conflict', `If-Match does not match the session's current version ${version}.`);
  }
}

export function runSessionCommand(deps: SessionCommandDeps, command: SessionCommand): Promise<SessionState | undefined> {
  return deps.sessionCommands.run(command.sessionId, () => decideAndAppend(deps, command));
}

async function decideAndAppend(deps: SessionCommandDeps, { sessionId, precondition, decide, meta }: SessionCommand): Promise<SessionState | undefined> {
  for (let attempt = 1; ; attempt += 1) {
    const state = deps.sessions.get(sessionId);
    if (!state) throw new ApiError('not_found', 'session not found');
    assertPrecondition(precondition, state.version);
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
