import type { EventMeta, NewEvent } from '../../events/envelope';
import type { ProjectionRunner } from '../../projections/runner';
import type { ModeState } from '../modes';
import { isStoreError, type AppendResult, type EventStore, type ExpectedVersion } from '../store';

export interface CommitDeps {
  store: EventStore;
  projections: ProjectionRunner;
  modes: ModeState;
}

/**
 * Appends a command's events and waits until the read models have applied them, so the response
 * reads its own write. A write the disk refuses turns the server read-only until a probe succeeds.
 */
export async function commit(
  { store, projections, modes }: CommitDeps,
  streamId: string,
  expectedVersion: ExpectedVersion,
  events: NewEvent[],
  meta: EventMeta,
): Promise<AppendResult> {
  let result: AppendResult;
  try {
    result = await store.append(streamId, expectedVersion, events, meta);
  } catch (error) {
    if (isStoreError(error, 'STORE_WRITE_FAILED')) modes.reportWriteFailure(error.message);
    throw error;
  }
  await projections.waitFor(result.position);
  return result;
}
