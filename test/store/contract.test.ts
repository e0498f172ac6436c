import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Level } from 'level';
import { firstValueFrom, take, takeWhile, timeout, toArray } from 'rxjs';
import type { EventMeta, NewEvent, StoredEvent } from '../../events/envelope';
import {
  EventLog,
  LevelBackend,
  MemoryBackend,
  StoreError,
  openLevelStore,
  openMemoryStore,
  type AppendResult,
  type EventStore,
  type LogBackend,
  type StoreErrorCode,
} from '../../src/store';
import { GENESIS_HASH, hashEvent } from '../../src/store/hash-chain';
import { eventually } from '../helpers/eventually';
import { CountingReads, FailingHeads, FlakyBackend, HeldWrites, PausingReads, StaleHeads, meta, sessionCreated, sessionData } from './fixtures';

interface Storage {
  open(): Promise<EventStore>;
  backend(): LogBackend;
  dispose(): void;
}

const memoryStorage = (): Storage => ({
  open: openMemoryStore,
  backend: () => new MemoryBackend(),
  dispose() {},
});

const levelStorage = (): Storage => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessiondock-store-'));
  return {
    open: () => openLevelStore(dir),
    backend: () => new LevelBackend(dir),
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
};

const streamOf = (index: number) => `session-${index}`;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

async function readAll(store: EventStore, after?: number): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for await (const event of store.readAll(after)) events.push(event);
  return events;
}

async function expectStoreError(attempt: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  const error = await attempt.then(
    () => assert.fail(`expected a ${code} rejection, but it resolved`),
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof StoreError, `expected a StoreError ${code}, got ${String(error)}`);
  assert.equal(error.code, code);
  return error;
}

function rejectionCodes(outcomes: PromiseSettledResult<unknown>[]): unknown[] {
  return outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [(outcome.reason as StoreError).code] : []));
}

/** Returns the last hash after checking every event's hash against its predecessor. */
function assertChainIntact(events: StoredEvent[]): string {
  let previous = GENESIS_HASH;
  for (const { hash, ...unhashed } of events) {
    assert.equal(hash, hashEvent(previous, unhashed), `hash of the event at position ${unhashed.position}`);
    previous = hash;
  }
  return previous;
}

function chained(previousHash: string, events: Array<Omit<StoredEvent, 'hash'>>): StoredEvent[] {
  let previous = previousHash;
  return events.map((event) => {
    previous = hashEvent(previous, event);
    return { ...event, hash: previous };
  });
}

function appendToNewStreams(store: EventStore, streams: number[]): Promise<AppendResult[]> {
  return Promise.all(streams.map((index) => store.append(streamOf(index), 0, [sessionCreated({ title: `Session ${index}` })], meta())));
}

/** Every event the subscription delivers after `after`, up to and including the one on stream `session-last`. */
const receiveThroughLast = (store: EventStore, after: number) =>
  firstValueFrom(
    store.subscribe(after).pipe(
      takeWhile((event) => event.streamId !== 'session-last', true),
      toArray(),
      timeout(5000),
    ),
  );

function storeContract(name: string, storage: () => Storage): void {
  describe(`EventStore contract: ${name}`, function () {
    let under: Storage;
    const opened: EventStore[] = [];

    const open = async (backend?: LogBackend): Promise<EventStore> => {
      const store = backend ? await EventLog.open(backend) : await under.open();
      opened.push(store);
      return store;
    };

    beforeEach(function () {
      under = storage();
    });

    afterEach(async function () {
      try {
        await Promise.all(opened.splice(0).map((store) => store.close()));
      } finally {
        under.dispose();
      }
    });

    describe('append and read', function () {
      it('stores events with position, stream version, schema version and hash, and reads them back', async function () {
        const store = await open();
        assert.deepEqual(store.head(), { position: 0, hash: GENESIS_HASH });
        const [first, second, third] = [sessionCreated({ title: 'One' }), sessionCreated({ title: 'Two' }), sessionCreated({ title: 'Three' })];
        const [metaA, metaB, metaC] = [meta(), meta({ correlationId: 'corr-1' }), meta()];

        const results = [
          await store.append('session-a', 0, [first], metaA),
          await store.append('session-b', 0, [second], metaB),
          await store.append('session-a', 1, [third], metaC),
        ];

        const expected = chained(GENESIS_HASH, [
          { position: 1, streamId: 'session-a', version: 1, type: 'SessionCreated', schemaVersion: 2, data: first.data, meta: metaA },
          { position: 2, streamId: 'session-b', version: 1, type: 'SessionCreated', schemaVersion: 2, data: second.data, meta: metaB },
          { position: 3, streamId: 'session-a', version: 2, type: 'SessionCreated', schemaVersion: 2, data: third.data, meta: metaC },
        ]);
        assert.deepEqual(results, [
          { streamId: 'session-a', version: 1, position: 1, events: [expected[0]] },
          { streamId: 'session-b', version: 1, position: 2, events: [expected[1]] },
          { streamId: 'session-a', version: 2, position: 3, events: [expected[2]] },
        ]);
        assert.deepEqual(await store.readStream('session-a'), [expected[0], expected[2]]);
        assert.deepEqual(await store.readStream('session-a', 2), [expected[2]]);
        assert.deepEqual(await store.readStream('session-b'), [expected[1]]);
        assert.deepEqual(await store.readStream('session-none'), []);
        assert.deepEqual(await readAll(store), expected);
        assert.deepEqual(await readAll(store, 1), expected.slice(1));
        assert.deepEqual(store.head(), { position: 3, hash: expected[2].hash });
        assert.equal(await store.streamVersion('session-a'), 2);
        assert.equal(await store.streamVersion('session-b'), 1);
        assert.equal(await store.streamVersion('session-none'), 0);
      });

      it('appends several events to a stream atomically, at consecutive positions and versions', async function () {
        const store = await open();
        await store.append('session-a', 0, [sessionCreated()], meta());
        const events = [sessionCreated({ title: 'x' }), sessionCreated({ title: 'y' }), sessionCreated({ title: 'z' })];

        const [, batch] = await Promise.all([
          appendToNewStreams(store, range(1, 20)),
          store.append('session-a', 1, events, meta()),
          appendToNewStreams(store, range(21, 40)),
        ]);

        const start = batch.events[0].position;
        assert.deepEqual(batch.events.map((event) => event.position), [start, start + 1, start + 2]);
        assert.deepEqual(batch.events.map((event) => event.version), [2, 3, 4]);
        assert.deepEqual(batch.events.map((event) => event.data.title), ['x', 'y', 'z']);
        assert.equal(batch.version, 4);
        assert.equal(batch.position, start + 2);
        assert.deepEqual(await store.readStream('session-a', 2), batch.events);
        assert.deepEqual((await readAll(store, start - 1)).slice(0, 3), batch.events);
        assert.equal(store.head().position, 44);
      });

      it('keeps its own copy of events: mutating what was appended, returned, delivered or read leaves the log as it was', async function () {
        const store = await open();
        const event = sessionCreated({ tags: ['demo'] });
        const eventMeta = meta();
        const delivery = firstValueFrom(store.subscribe(0).pipe(take(1), timeout(5000)));
        const { events: returned } = await store.append('session-a', 0, [event], eventMeta);
        const original = structuredClone(returned);
        const [delivered, [readBack], [iterated]] = [await delivery, await store.readStream('session-a'), await readAll(store)];

        for (const copy of [event, returned[0], delivered, readBack, iterated]) (copy.data.tags as string[]).push('changed');
        eventMeta.actor = 'someone-else';

        assert.deepEqual(await store.readStream('session-a'), original);
        assert.deepEqual(await readAll(store), original);
      });
    });

    describe('expected version', function () {
      it('accepts 0 on a new stream', async function () {
        const store = await open();

        const result = await store.append('session-a', 0, [sessionCreated()], meta());

        assert.equal(result.version, 1);
        assert.equal(await store.streamVersion('session-a'), 1);
      });

      it('rejects 0 on an existing stream with STORE_VERSION_CONFLICT and appends nothing', async function () {
        const store = await open();
        await store.append('session-a', 0, [sessionCreated()], meta());
        const head = store.head();

        const error = await expectStoreError(store.append('session-a', 0, [sessionCreated()], meta()), 'STORE_VERSION_CONFLICT');

        assert.equal(error.details.actualVersion, 1);
        assert.equal(error.details.expectedVersion, 0);
        assert.equal(error.details.streamId, 'session-a');
        assert.deepEqual(store.head(), head);
        assert.equal(await store.streamVersion('session-a'), 1);
        assert.equal((await readAll(store)).length, 1);
      });

      it('rejects a wrong version, too high or too low, with STORE_VERSION_CONFLICT and appends nothing', async function () {
        const store = await open();
        await store.append('session-a', 0, [sessionCreated()], meta());
        await store.append('session-a', 1, [sessionCreated()], meta());
        const head = store.head();

        const tooHigh = await expectStoreError(store.append('session-a', 5, [sessionCreated()], meta()), 'STORE_VERSION_CONFLICT');
        const tooLow = await expectStoreError(store.append('session-a', 1, [sessionCreated()], meta()), 'STORE_VERSION_CONFLICT');
        const unknown = await expectStoreError(store.append('session-b', 1, [sessionCreated()], meta()), 'STORE_VERSION_CONFLICT');

        assert.deepEqual([tooHigh.details.actualVersion, tooLow.details.actualVersion, unknown.details.actualVersion], [2, 2, 0]);
        assert.deepEqual(store.head(), head);
        assert.equal(await store.streamVersion('session-a'), 2);
        assert.equal(await store.streamVersion('session-b'), 0);
        assert.deepEqual(await store.readStream('session-b'), []);
        assert.equal((await readAll(store)).length, 2);
      });

      it("appends with 'any' whatever the stream's version", async function () {
        const store = await open();

        const created = await store.append('session-a', 'any', [sessionCreated()], meta());
        const next = await store.append('session-a', 'any', [sessionCreated()], meta());

        assert.deepEqual([created.version, next.version], [1, 2]);
        assert.equal(await store.streamVersion('session-a'), 2);
        assert.equal((await store.readStream('session-a')).length, 2);
      });

      it('lets exactly one of 50 concurrent appends with the same expected version through', async function () {
        const store = await open();
        await store.append('session-a', 0, [sessionCreated()], meta());

        const outcomes = await Promise.allSettled(
          range(1, 50).map((index) => store.append('session-a', 1, [sessionCreated({ title: `Racer ${index}` })], meta())),
        );

        const fulfilled = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        assert.equal(fulfilled.length, 1);
        assert.deepEqual(rejectionCodes(outcomes), Array(49).fill('STORE_VERSION_CONFLICT'));
        const conflicts = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as StoreError] : []));
        assert.ok(conflicts.every((error) => error.details.actualVersion === 2));
        assert.equal(await store.streamVersion('session-a'), 2);
        assert.equal((await store.readStream('session-a')).length, 2);
        assert.equal(store.head().position, 2);
      });
    });

    describe('concurrency and the hash chain', function () {
      it('gives 1,000 concurrent appends to different streams dense positions and an intact chain', async function () {
        const store = await open();

        const results = await appendToNewStreams(store, range(1, 1000));

        const events = await readAll(store);
        assert.deepEqual(events.map((event) => event.position), range(1, 1000));
        assert.deepEqual(events.map((event) => event.streamId).sort(), range(1, 1000).map(streamOf).sort());
        assert.ok(events.every((event) => event.version === 1));
        assert.deepEqual(
          results.map((result) => result.position).sort((a, b) => a - b),
          range(1, 1000),
        );
        const lastHash = assertChainIntact(events);
        assert.deepEqual(store.head(), { position: 1000, hash: lastHash });
      });
    });

    describe('validation', function () {
      const valid = sessionCreated();
      const invalidAppends: Array<[string, string, NewEvent[], EventMeta]> = [
        ['an unknown event type', 'session-x', [{ type: 'SessionExploded', data: { ...sessionData() } }], meta()],
        ['data missing a required field', 'session-x', [{ type: 'SessionCreated', data: { ...sessionData(), tags: undefined } }], meta()],
        ['data with a status that is not a slug', 'session-x', [sessionCreated({ status: 'In Progress' })], meta()],
        ['data with a relative project path', 'session-x', [sessionCreated({ projectPath: 'projects/mixdown' })], meta()],
        ['data with an unknown field', 'session-x', [{ type: 'SessionCreated', data: { ...sessionData(), colour: 'red' } }], meta()],
        ['meta whose date is not a date-time', 'session-x', [valid], meta({ at: 'yesterday' })],
        ['meta without an actor', 'session-x', [valid], { at: new Date().toISOString(), requestId: 'req-x' } as EventMeta],
        ['a stream id with a forbidden character', 'a!b', [valid], meta()],
        ['an empty stream id', '', [valid], meta()],
        ['a stream id over 128 characters', 'x'.repeat(129), [valid], meta()],
        ['an empty events array', 'session-x', [], meta()],
        ['one bad event among good ones', 'session-x', [valid, sessionCreated({ title: '   ' }), valid], meta()],
      ];

      for (const [label, streamId, events, eventMeta] of invalidAppends) {
        it(`rejects ${label} with STORE_INVALID_EVENT and leaves the log unchanged`, async function () {
          const store = await open();
          await store.append('session-a', 0, [sessionCreated()], meta());
          const head = store.head();

          await expectStoreError(store.append(streamId, 'any', events, eventMeta), 'STORE_INVALID_EVENT');

          assert.deepEqual(store.head(), head);
          assert.equal(await store.streamVersion(streamId), 0);
          assert.equal((await readAll(store)).length, 1);
        });
      }
    });

    describe('readAll in pages', function () {
      it('reads every event in order whatever the page size, up to the head as each page is read', async function () {
        const store = await open();
        await appendToNewStreams(store, range(1, 7));
        const everything = await readAll(store);

        for (const pageSize of [1, 2, 3, 7, 1000]) {
          const events: StoredEvent[] = [];
          for await (const event of store.readAll(2, pageSize)) events.push(event);
          assert.deepEqual(events, everything.slice(2), `page size ${pageSize}`);
        }
        const seen: number[] = [];
        for await (const event of store.readAll(0, 3)) {
          seen.push(event.position);
          if (event.position === 1) await appendToNewStreams(store, range(8, 9));
        }
        assert.deepEqual(seen, range(1, 9));
      });

      it('given types, reads only the events of those types, whatever their data holds, page after page', async function () {
        const store = await open();
        // A title holding the text of another type's key: the type is the event's own, not its data's.
        await store.append('session-a', 0, [sessionCreated({ title: '"type":"SessionDeleted"' })], meta());
        await store.append('session-a', 1, [{ type: 'SessionUpdated', data: { title: 'Second "type":"SessionDeleted" take' } }], meta());
        await store.append('session-b', 0, [sessionCreated()], meta());
        await store.append('session-a', 2, [{ type: 'SessionDeleted', data: {} }], meta());
        await store.append('session-b', 1, [{ type: 'SessionDeleted', data: {} }], meta());
        const everything = await readAll(store);

        for (const types of [['SessionDeleted'], ['SessionCreated', 'SessionUpdated'], ['SessionOpened']]) {
          const wanted = new Set(types);
          for (const pageSize of [1, 2, 1000]) {
            const events: StoredEvent[] = [];
            for await (const event of store.readAll(0, pageSize, wanted)) events.push(event);
            assert.deepEqual(events, everything.filter((event) => wanted.has(event.type)), `${types.join(',')}, page size ${pageSize}`);
          }
        }
      });
    });

    describe('subscribe', function () {
      it('opens no log scan for a subscriber that starts at the head, and one for a subscriber behind it', async function () {
        const backend = new CountingReads(under.backend());
        const store = await open(backend);
        await appendToNewStreams(store, range(1, 3));

        const live = receiveThroughLast(store, 3);
        await store.append('session-last', 0, [sessionCreated()], meta());
        assert.deepEqual((await live).map((event) => event.position), [4]);
        assert.equal(backend.scans, 0);

        const behind = firstValueFrom(store.subscribe(1).pipe(take(4), toArray(), timeout(5000)));
        await store.append('session-later', 0, [sessionCreated()], meta());
        assert.deepEqual((await behind).map((event) => event.position), [2, 3, 4, 5]);
        assert.equal(backend.scans, 1);
      });

      it('catches up from a position and goes live with every later event exactly once, in order', async function () {
        const store = await open();
        await appendToNewStreams(store, range(1, 100));

        const received = receiveThroughLast(store, 40);
        await appendToNewStreams(store, range(101, 200));
        await store.append('session-last', 0, [sessionCreated()], meta());
        const events = await received;

        assert.deepEqual(events.map((event) => event.position), range(41, 201));
        assert.deepEqual(events, (await readAll(store)).slice(40));
      });

      it('delivers every event once when all the live ones are committed while the catch-up read is under way', async function () {
        const backend = new PausingReads(under.backend());
        const store = await open(backend);
        await appendToNewStreams(store, range(1, 100));
        const received = receiveThroughLast(store, 40);
        await backend.paused;

        await appendToNewStreams(store, range(101, 200));
        backend.resume();
        await backend.ended;
        await store.append('session-last', 0, [sessionCreated()], meta());
        const events = await received;

        assert.deepEqual(events.map((event) => event.position), range(41, 201));
        assert.deepEqual(events, await readAll(store, 40));
      });
    });

    describe('close', function () {
      it('resolves the appends in flight and rejects later ones with STORE_CLOSED', async function () {
        const store = await open();
        const inFlight = Promise.allSettled([
          ...range(1, 10).map((index) => store.append(streamOf(index), 0, [sessionCreated()], meta())),
          store.append('session-1', 1, [sessionCreated()], meta()),
        ]);

        const closing = store.close();
        const duringClose = expectStoreError(store.append('session-late', 0, [sessionCreated()], meta()), 'STORE_CLOSED');
        await closing;

        assert.deepEqual(
          (await inFlight).map((outcome) => outcome.status),
          Array(11).fill('fulfilled'),
        );
        await duringClose;
        await expectStoreError(store.append('session-late', 0, [sessionCreated()], meta()), 'STORE_CLOSED');
        assert.equal(store.head().position, 11);
      });
    });

    describe('reading part of a long stream', function () {
      /** Stream `session-long` with `versions` events, each after an event on another stream: positions 2, 4, 6 ... */
      async function interleaved(store: EventStore, versions: number): Promise<void> {
        for (let version = 1; version <= versions; version += 1) {
          await store.append(`session-other-${version}`, 0, [sessionCreated()], meta());
          await store.append('session-long', version - 1, [sessionCreated({ title: `v${version}` })], meta());
        }
      }

      it('reads a version range, and only those versions, clipped to the stream; an empty range reads nothing', async function () {
        const backend = new CountingReads(under.backend());
        const store = await open(backend);
        await interleaved(store, 40);
        backend.streamEventsRead = 0;

        const page = await store.readStream('session-long', 11, 15);
        assert.deepEqual(page.map((event) => [event.version, event.position, event.data.title]), [11, 12, 13, 14, 15].map((version) => [version, version * 2, `v${version}`]));
        assert.equal(backend.streamEventsRead, 5);
        assert.deepEqual((await store.readStream('session-long', 39, 100)).map((event) => event.version), [39, 40]);
        assert.deepEqual(await store.readStream('session-long', 41, 50), []);
        assert.deepEqual(await store.readStream('session-long', 20, 19), []);
        assert.deepEqual((await store.readStream('session-long', 0, 1)).map((event) => event.version), [1]);
        assert.deepEqual(await store.readStream('session-none', 1, 10), []);
        assert.equal(backend.streamEventsRead, 5 + 2 + 1);
      });

      it("gives the stream's version at any position: 0 before it began, its last at or before the position, its head past the log's", async function () {
        const store = await open();
        await interleaved(store, 40);
        assert.equal(await store.versionAt('session-long', 0), 0);
        assert.equal(await store.versionAt('session-long', 1), 0);
        for (let position = 2; position <= 80; position += 1) {
          assert.equal(await store.versionAt('session-long', position), Math.floor(position / 2), `at position ${position}`);
        }
        assert.equal(await store.versionAt('session-long', 1_000_000), 40);
        assert.equal(await store.versionAt('session-other-7', 12), 0);
        assert.equal(await store.versionAt('session-other-7', 13), 1);
        assert.equal(await store.versionAt('session-none', 80), 0);
      });

      it('finds the version at a position of a 3,000-event stream in a few index lookups of at most 16 entries, reading no event', async function () {
        this.timeout(60_000);
        const backend = new CountingReads(under.backend());
        const store = await open(backend);
        for (let version = 0; version < 3_000; version += 100) {
          await store.append('session-long', version, range(1, 100).map((index) => sessionCreated({ title: `v${version + index}` })), meta());
        }
        await store.append('session-other', 0, [sessionCreated()], meta());
        backend.streamEventsRead = 0;
        for (const position of [1, 2, 1_499, 1_500, 2_999, 3_000, 3_001]) {
          backend.indexEntriesRead = 0;
          assert.equal(await store.versionAt('session-long', position), Math.min(position, 3_000), `at position ${position}`);
          assert.ok(backend.indexEntriesRead <= 4 * 16, `${backend.indexEntriesRead} index entries read for position ${position}`);
        }
        assert.equal(backend.streamEventsRead, 0);
      });

      it('rejects both reads with STORE_CLOSED once the log is closed', async function () {
        const store = await open();
        await interleaved(store, 2);
        await store.close();
        await expectStoreError(store.readStream('session-long', 1, 2), 'STORE_CLOSED');
        await expectStoreError(store.versionAt('session-long', 3), 'STORE_CLOSED');
      });
    });

    describe('stream versions', function () {
      it('reads none when it opens, then those of the streams a batch appends to, once per stream', async function () {
        const backend = new CountingReads(under.backend());
        const store = await open(backend);
        assert.deepEqual(backend.versionReads, []);

        // Called together, these three are one batch.
        await Promise.all([
          store.append('session-a', 0, [sessionCreated()], meta()),
          store.append('session-b', 0, [sessionCreated()], meta()),
          store.append('session-a', 1, [sessionCreated()], meta()),
        ]);
        await store.append('session-a', 2, [sessionCreated()], meta());
        await expectStoreError(store.append('session-b', 0, [sessionCreated()], meta()), 'STORE_VERSION_CONFLICT');

        assert.deepEqual(backend.versionReads, [['session-a', 'session-b']]);
        assert.equal(await store.streamVersion('session-a'), 3);
      });

      it('reads the versions of new streams while the batch before them is being written', async function () {
        const backend = new HeldWrites(under.backend());
        const store = await open(backend);
        await store.append('session-a', 0, [sessionCreated()], meta());

        backend.hold();
        const first = store.append('session-a', 1, [sessionCreated()], meta());
        await backend.waiting;
        const second = Promise.all([store.append('session-b', 0, [sessionCreated()], meta()), store.append('session-c', 0, [sessionCreated()], meta())]);
        await eventually(async () => backend.versionReadsWhileHeld.length, (reads) => reads > 0, 'a read of the new streams\' versions while the write is held');
        assert.deepEqual(backend.versionReadsWhileHeld, [['session-b', 'session-c']]);
        backend.release();

        assert.equal((await first).version, 2);
        assert.deepEqual((await second).map((result) => [result.streamId, result.version, result.position]), [['session-b', 1, 3], ['session-c', 1, 4]]);
      });

      it('reads none at all for new streams once every version has been read in advance', async function () {
        const backend = new CountingReads(under.backend());
        const store = await open(backend);
        await store.append('session-a', 0, [sessionCreated()], meta());
        const readsBefore = backend.versionReads.length;

        await store.learnAllVersions();
        await store.append('session-b', 0, [sessionCreated()], meta());
        await store.append('session-a', 1, [sessionCreated()], meta());

        assert.equal(await store.streamVersion('session-none'), 0);
        assert.equal(backend.versionReads.length, readsBefore);
        assert.deepEqual([await store.streamVersion('session-a'), await store.streamVersion('session-b')], [2, 1]);
      });

      it('keeps the version a commit made while the heads were being read, over the older one the scan read', async function () {
        const backend = new StaleHeads(under.backend());
        const store = await open(backend);
        await store.append('session-a', 0, [sessionCreated()], meta());

        const learning = store.learnAllVersions();
        await store.append('session-a', 1, [sessionCreated()], meta());
        backend.go();
        await learning;

        assert.equal(await store.streamVersion('session-a'), 2);
        await expectStoreError(store.append('session-a', 1, [sessionCreated()], meta()), 'STORE_VERSION_CONFLICT');
        assert.equal((await store.append('session-a', 2, [sessionCreated()], meta())).version, 3);
      });

      it('does not remember the version of a stream it only reads: each read of one nobody appended to asks again', async function () {
        const backend = new CountingReads(under.backend());
        const store = await open(backend);
        assert.deepEqual(await store.readStream('session-made-up'), []);
        assert.equal(await store.streamVersion('session-made-up'), 0);
        assert.deepEqual(backend.versionReads, [['session-made-up'], ['session-made-up']]);
      });

      it('reports a scan of the heads that fails, and not one that a close ends', async function () {
        const failing = new FailingHeads(under.backend());
        const store = await open(failing);
        const learning = store.learnAllVersions();
        await failing.scanning;
        failing.go();
        await assert.rejects(learning, /Iterator is not open/);
        await store.close();

        const closing = new FailingHeads(under.backend());
        const closed = await open(closing);
        const ended = closed.learnAllVersions();
        await closing.scanning;
        await closed.close();
        closing.go();
        await ended;
      });

      it('rejects a batch whose stream versions cannot be read with STORE_WRITE_FAILED, writing nothing', async function () {
        const backend = new FlakyBackend(under.backend());
        const store = await open(backend);
        await store.append('session-a', 0, [sessionCreated()], meta());
        const head = store.head();

        backend.failingReads = true;
        const failures = await Promise.allSettled([
          store.append('session-b', 0, [sessionCreated({ title: 'Lost' })], meta()),
          store.append('session-a', 1, [sessionCreated({ title: 'Lost too' })], meta()),
        ]);

        assert.deepEqual(rejectionCodes(failures), ['STORE_WRITE_FAILED', 'STORE_WRITE_FAILED']);
        assert.match(((failures[0] as PromiseRejectedResult).reason as Error).message, /stream versions could not be read: EIO/);
        assert.deepEqual(store.head(), head);
        backend.failingReads = false;
        assert.equal(await store.streamVersion('session-b'), 0);
        const retried = await store.append('session-b', 0, [sessionCreated({ title: 'Kept' })], meta());
        assert.deepEqual([retried.position, retried.version], [2, 1]);
      });
    });

    describe('write failure', function () {
      it('rejects with STORE_WRITE_FAILED, keeps no trace, and resumes at the next durable position', async function () {
        const backend = new FlakyBackend(under.backend());
        const store = await open(backend);
        await store.append('session-a', 0, [sessionCreated()], meta());
        await store.append('session-b', 0, [sessionCreated()], meta());
        const head = store.head();

        backend.failing = true;
        const failures = await Promise.allSettled([
          store.append('session-a', 1, [sessionCreated({ title: 'Lost' })], meta()),
          store.append('session-c', 0, [sessionCreated({ title: 'Lost too' })], meta()),
        ]);

        assert.deepEqual(rejectionCodes(failures), ['STORE_WRITE_FAILED', 'STORE_WRITE_FAILED']);
        const cause = ((failures[0] as PromiseRejectedResult).reason as StoreError).cause as NodeJS.ErrnoException;
        assert.equal(cause.code, 'EIO');
        assert.deepEqual(store.head(), head);
        assert.equal(await store.streamVersion('session-a'), 1);
        assert.equal(await store.streamVersion('session-c'), 0);
        assert.deepEqual(await store.readStream('session-c'), []);
        assert.deepEqual(
          (await readAll(store)).map((event) => event.data.title),
          ['Mixdown', 'Mixdown'],
        );

        backend.failing = false;
        const retried = await store.append('session-a', 1, [sessionCreated({ title: 'Kept' })], meta());

        assert.equal(retried.position, head.position + 1);
        assert.equal(retried.version, 2);
        const events = await readAll(store);
        assert.deepEqual(events.map((event) => event.position), [1, 2, 3]);
        assert.deepEqual(store.head(), { position: 3, hash: assertChainIntact(events) });
      });
    });
  });
}

storeContract('memory', memoryStorage);
storeContract('LevelDB', levelStorage);

describe('LevelDB store', function () {
  let dir: string;
  const opened: EventStore[] = [];

  const open = async (): Promise<EventStore> => {
    const store = await openLevelStore(dir);
    opened.push(store);
    return store;
  };

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessiondock-level-'));
  });

  afterEach(async function () {
    try {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps head, stream versions and every event across close and reopen', async function () {
    const first = await open();
    await appendToNewStreams(first, range(1, 30));
    await first.append(streamOf(7), 1, [sessionCreated({ title: 'again' }), sessionCreated({ title: 'and again' })], meta());
    const head = first.head();
    const events = await readAll(first);
    await first.close();

    const reopened = await open();

    assert.deepEqual(reopened.head(), head);
    assert.equal(head.position, 32);
    assert.deepEqual(await readAll(reopened), events);
    assert.equal(assertChainIntact(events), head.hash);
    assert.equal(await reopened.streamVersion(streamOf(7)), 3);
    assert.equal(await reopened.streamVersion(streamOf(8)), 1);
    assert.equal(await reopened.streamVersion(streamOf(31)), 0);
    // Read from the store by the append that needs it: a stale expectation still conflicts.
    await expectStoreError(reopened.append(streamOf(8), 0, [sessionCreated()], meta()), 'STORE_VERSION_CONFLICT');
    assert.deepEqual(
      (await reopened.readStream(streamOf(7))).map((event) => event.data.title),
      ['Session 7', 'again', 'and again'],
    );
    const next = await reopened.append(streamOf(7), 3, [sessionCreated()], meta());
    assert.deepEqual([next.position, next.version], [33, 4]);
    assertChainIntact(await readAll(reopened));
  });

  it('makes the appends in flight at close durable', async function () {
    const first = await open();
    const inFlight = Promise.all(range(1, 5).map((index) => first.append(streamOf(index), 0, [sessionCreated()], meta())));
    await first.close();
    const appended = (await inFlight).flatMap((result) => result.events).sort((a, b) => a.position - b.position);

    const reopened = await open();

    assert.deepEqual(await readAll(reopened), appended);
    assert.deepEqual(reopened.head(), { position: 5, hash: appended[4].hash });
  });

  for (const [missing, keyOf, named] of [
    ['stream index entry', (_position: number) => `s!${streamOf(1)}!${'2'.padStart(16, '0')}`, /session-1 version 2/],
    ['event', (position: number) => `e!${String(position).padStart(16, '0')}`, /no event at position 3, which session-1 version 2 points to/],
  ] as const) {
    it(`reads a stream whose ${missing} is gone as STORE_CORRUPT, naming what is missing`, async function () {
      const first = await open();
      await first.append(streamOf(1), 0, [sessionCreated()], meta());
      await first.append(streamOf(2), 0, [sessionCreated()], meta());
      await first.append(streamOf(1), 1, [sessionCreated({ title: 'second' })], meta());
      await first.close();
      const raw = new Level<string, string>(dir);
      await raw.del(keyOf(3));
      await raw.close();

      const reopened = await open();

      const error = await expectStoreError(reopened.readStream(streamOf(1)), 'STORE_CORRUPT');
      assert.match(error.message, named);
      assert.deepEqual((await reopened.readStream(streamOf(2))).map((event) => event.position), [2]);
    });
  }

  it('finds the version at a position in a stream whose index lost an entry as STORE_CORRUPT, naming it', async function () {
    const store = await open();
    for (let version = 0; version < 40; version += 1) await store.append('session-a', version, [sessionCreated()], meta());
    await store.close();
    const db = new Level<string, string>(dir);
    // The first lookup of a 40-version search reads every third version: 21 is one of them.
    await db.del(`s!session-a!${'21'.padStart(16, '0')}`);
    await db.close();
    const reopened = await open();
    const error = await expectStoreError(reopened.versionAt('session-a', 30), 'STORE_CORRUPT');
    assert.match(error.message, /session-a version 21/);
  });

  it('reads the log past a missing event as STORE_CORRUPT, naming its position', async function () {
    const first = await open();
    await appendToNewStreams(first, range(1, 5));
    await first.close();
    const raw = new Level<string, string>(dir);
    await raw.del(`e!${'3'.padStart(16, '0')}`);
    await raw.close();

    const reopened = await open();

    const error = await expectStoreError(readAll(reopened, 1), 'STORE_CORRUPT');
    assert.match(error.message, /no event at position 3/);
    assert.deepEqual((await readAll(reopened, 3)).map((event) => event.position), [4, 5]);
  });

  it('refuses a second store on an open directory with STORE_LOCKED', async function () {
    const first = await open();
    await first.append('session-a', 0, [sessionCreated()], meta());

    await expectStoreError(openLevelStore(dir), 'STORE_LOCKED');

    assert.equal((await first.append('session-a', 1, [sessionCreated()], meta())).position, 2);
  });
});
