import assert from 'node:assert/strict';
import type { NewEvent } from '../../events/envelope';
import { upcast } from '../../events/catalogue';
import { evolveSession, type SessionState } from '../../projections/session-state';
import { FoldCheckpoints } from '../../src/http/fold-checkpoints';
import { FOLD_PAGE, sessionAt } from '../../src/http/time-travel';
import { EventLog, MemoryBackend, type EventStore } from '../../src/store';
import { CountingReads, meta, sessionCreated } from '../store/fixtures';

/*
 * Finding 7's time travel: ?at= reads only the versions up to the position, in pages, from the
 * nearest checkpoint, and the read model's state when it is at that very version.
 */

const SESSION = 'session_01JDXAMPLE0000000000000000';
const VERSIONS = 5 * FOLD_PAGE + 7;

describe('hardening: time travel folds from the nearest point (finding 7)', () => {
  let backend: CountingReads;
  let store: EventStore;
  /** Position of each version (version v at positions[v - 1]); an event of another stream sits between each. */
  const positions: number[] = [];

  before(async () => {
    backend = new CountingReads(new MemoryBackend());
    store = await EventLog.open(backend);
    positions.push((await store.append(SESSION, 0, [sessionCreated({ title: 'v1' })], meta())).position);
    for (let version = 2; version <= VERSIONS; version += 1) {
      await store.append('session-other', 'any', [sessionCreated()], meta());
      const event: NewEvent = { type: 'SessionUpdated', data: { title: `v${version}` } };
      positions.push((await store.append(SESSION, version - 1, [event], meta())).position);
    }
  });

  after(() => store.close());

  const wholeFold = async (position: number) => (await store.readStream(SESSION)).filter((event) => event.position <= position).map(upcast).reduce(evolveSession, undefined);

  it('given any position, answers what folding the whole stream up to it gives, reading only the versions up to it', async () => {
    for (const version of [1, 2, FOLD_PAGE - 1, FOLD_PAGE, FOLD_PAGE + 1, 3 * FOLD_PAGE + 5, VERSIONS]) {
      for (const position of [positions[version - 1], positions[version - 1] + 1]) {
        backend.streamEventsRead = 0;
        const state = await sessionAt(store, SESSION, position);
        const expectedVersion = position > positions[VERSIONS - 1] ? VERSIONS : version;
        assert.equal(backend.streamEventsRead, expectedVersion, `events read for position ${position}`);
        assert.deepEqual(state, await wholeFold(position));
        assert.equal(state?.title, `v${expectedVersion}`);
      }
    }
    assert.equal(await sessionAt(store, SESSION, positions[0] - 1), undefined);
    assert.equal(await sessionAt(store, 'session_unknown', positions[VERSIONS - 1]), undefined);
  });

  it('given checkpoints, folds on from the nearest one: a second read costs less than a page', async () => {
    const checkpoints = new FoldCheckpoints(FOLD_PAGE);
    const far = 4 * FOLD_PAGE + 3;
    backend.streamEventsRead = 0;
    assert.equal((await sessionAt(store, SESSION, positions[far - 1], { checkpoints }))?.title, `v${far}`);
    assert.equal(backend.streamEventsRead, far);
    for (const version of [far, far - 1, 2 * FOLD_PAGE + 9, FOLD_PAGE, 5]) {
      backend.streamEventsRead = 0;
      const state = await sessionAt(store, SESSION, positions[version - 1], { checkpoints });
      assert.ok(backend.streamEventsRead < FOLD_PAGE, `${backend.streamEventsRead} events read for version ${version}`);
      assert.deepEqual(state, await wholeFold(positions[version - 1]));
    }
  });

  it("given the read model's state at the version asked for, answers it and reads no event", async () => {
    const current = (await wholeFold(positions[VERSIONS - 1]))!;
    backend.streamEventsRead = 0;
    assert.equal(await sessionAt(store, SESSION, positions[VERSIONS - 1] + 100, { current }), current);
    assert.equal(backend.streamEventsRead, 0);
    // At an earlier version, the current state is not the answer.
    const earlier = await sessionAt(store, SESSION, positions[9], { current });
    assert.equal(earlier?.version, 10);
  });

  describe('FoldCheckpoints', () => {
    const state = (version: number) => ({ id: 's', version }) as SessionState;

    it('keeps only versions on its spacing, and gives the nearest at or below the one asked for', () => {
      const checkpoints = new FoldCheckpoints(10);
      checkpoints.offer('s', 7, state(7));
      checkpoints.offer('s', 10, state(10));
      checkpoints.offer('s', 30, state(30));
      assert.deepEqual(checkpoints.nearest('s', 9), { version: 0, state: undefined });
      assert.equal(checkpoints.nearest('s', 29).version, 10);
      assert.equal(checkpoints.nearest('s', 30).state?.version, 30);
      assert.equal(checkpoints.nearest('s', 1_000).version, 30);
      assert.equal(checkpoints.nearest('other', 1_000).version, 0);
    });

    it('holds at most its capacity, dropping the least recently used', () => {
      const checkpoints = new FoldCheckpoints(1, 3);
      for (const version of [1, 2, 3]) checkpoints.offer('s', version, state(version));
      checkpoints.nearest('s', 1);
      checkpoints.offer('s', 4, state(4));
      assert.equal(checkpoints.nearest('s', 2).version, 1, 'version 2 was the least recently used');
      assert.equal(checkpoints.nearest('s', 3).version, 3);
      assert.equal(checkpoints.nearest('s', 4).version, 4);
    });
  });
});
