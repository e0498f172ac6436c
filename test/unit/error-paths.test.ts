import assert from 'node:assert/strict';
import { ProjectionRunner } from '../../projections/runner';
import { SessionsProjection } from '../../projections/sessions';
import { newSessionData } from '../../src/commands/create-session';
import { runSessionCommand } from '../../src/commands/session-command';
import { ApiError } from '../../src/errors';
import { toApiError } from '../../src/http/envelope';
import { KeyedQueue } from '../../src/keyed-queue';
import type { ModeState } from '../../src/modes';
import { openMemoryStore, StoreError, type EventStore } from '../../src/store';

const meta = { at: '2026-11-29T10:00:00.000Z', requestId: 'r', actor: 'token:test' };

describe('error values mapped to the envelope', () => {
  it('maps each store error to its contract code, and anything else to internal_error with a fixed message', () => {
    const cases: Array<[unknown, string, number]> = [
      [new StoreError('STORE_WRITE_FAILED', 'EIO'), 'internal_error', 500],
      [new StoreError('STORE_VERSION_CONFLICT', 'stream s is at 2'), 'version_conflict', 412],
      [new StoreError('STORE_CLOSED', 'closed'), 'overloaded', 503],
      [new Error('secret /home/ana/path in a stack'), 'internal_error', 500],
      [new ApiError('not_found', 'session not found'), 'not_found', 404],
    ];
    for (const [error, code, status] of cases) {
      const mapped = toApiError(error);
      assert.deepEqual([mapped.code, mapped.status], [code, status]);
      assert.doesNotMatch(mapped.message, /secret|EIO|stream s/);
    }
    assert.equal(toApiError(new StoreError('STORE_CLOSED', 'closed')).headers['Retry-After'], '1');
  });
});

describe('session commands against a log that always reports a newer version', () => {
  it('gives up after its attempts with 503 overloaded and Retry-After, having appended nothing', async () => {
    const store = await openMemoryStore();
    const sessions = new SessionsProjection();
    const projections = new ProjectionRunner(store, [sessions]);
    await projections.start();
    await store.append('session_A', 0, [{ type: 'SessionCreated', data: newSessionData({ title: 'Hot' }) }], meta);
    let attempts = 0;
    const racing: EventStore = Object.create(store, {
      append: {
        value: async () => {
          attempts += 1;
          throw new StoreError('STORE_VERSION_CONFLICT', 'someone else wrote first');
        },
      },
    });
    const deps = { store: racing, projections, sessions, modes: {} as ModeState, sessionCommands: new KeyedQueue() };
    const decide = () => [{ type: 'SessionNotesReplaced', data: { notes: 'mine' } }];
    await assert.rejects(runSessionCommand(deps, { sessionId: 'session_A', precondition: undefined, decide, meta }), (error: ApiError) => {
      assert.deepEqual([error.code, error.status, error.headers['Retry-After']], ['overloaded', 503, '1']);
      return true;
    });
    assert.equal(attempts, 64);
    assert.equal(store.head().position, 1);
    projections.stop();
    await store.close();
  });
});
