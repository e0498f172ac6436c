import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProjectionRunner, type Projection } from '../../projections/runner';
import type { SnapshotItems } from '../../projections/snapshot-items';
import { SnapshotFiles } from '../../projections/snapshots';
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

describe('read models restored from snapshot files: failures', () => {
  let directory: string;
  beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'sessiondock-restore-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  const openFiles = () => readdirSync('/proc/self/fd').length;

  /** A snapshot of `name` at the store's head: what a restore would use. */
  async function snapshotAtHead(store: EventStore, name: string, data: unknown[]): Promise<SnapshotFiles> {
    const files = new SnapshotFiles(directory);
    await files.write({ projection: name, version: 1, position: store.head().position, hash: store.head().hash, data });
    return files;
  }

  const projectionNamed = (name: string, overrides: Partial<Projection>): Projection => ({
    name,
    version: 1,
    apply: () => undefined,
    snapshot: () => [],
    restore: (items) => items.close(),
    ...overrides,
  });

  it('given a restore that throws, when the runner starts, then it fails and leaves the snapshot file closed', async () => {
    const store = await openMemoryStore();
    const snapshots = await snapshotAtHead(store, 'broken', [{ id: 'a' }]);
    const before = openFiles();
    const runner = new ProjectionRunner(store, [projectionNamed('broken', { restore: () => assert.fail('restore failed') })], { snapshots });
    await assert.rejects(runner.start(), /restore failed/);
    assert.equal(openFiles(), before);
    await store.close();
  });

  it('given items that cannot be parsed later, when they are parsed in the background, then parseRestored rejects with the reason', async () => {
    const store = await openMemoryStore();
    const snapshots = await snapshotAtHead(store, 'sessions', [{ id: 'a' }]);
    let kept: SnapshotItems | undefined;
    const runner = new ProjectionRunner(
      store,
      [
        projectionNamed('sessions', {
          restore: (items) => (kept = items),
          parsePending: () => {
            kept!.close();
            kept!.item(0);
            return false;
          },
        }),
      ],
      { snapshots },
    );
    await runner.start();
    await assert.rejects(runner.parseRestored(), /closed/);
    runner.stop();
    await store.close();
  });
});
