import assert from 'node:assert/strict';
import type { StoredEvent } from '../../events/envelope';
import { EventLog, MemoryBackend, recordsOf, type LogBackend, type LogHead, type SerializedEvent } from '../../src/store';
import { GENESIS_HASH, chainHash } from '../../src/store/hash-chain';
import { advance, checkRecord, initialChainState, verifyLog, type ChainState } from '../../src/store/verify';
import { meta, sessionCreated } from './fixtures';

/*
 * The verifier's core in process: each rule of the log broken on its own, with the chain rebuilt
 * around the change wherever the rule under test is not the chain itself.
 */

/** A log made by the real EventLog: three streams, eight events. */
async function healthyRecords(): Promise<string[]> {
  const memory = new MemoryBackend();
  const log = await EventLog.open(memory);
  await log.append('s-a', 0, [sessionCreated({ title: 'Alpha' })], meta());
  await log.append('s-b', 0, [sessionCreated({ title: 'Bravo' })], meta());
  await log.append('s-a', 1, [{ type: 'SessionUpdated', data: { title: 'Alpha 2' } }, { type: 'SessionNotesReplaced', data: { notes: 'n' } }], meta());
  await log.append('s-c', 0, [sessionCreated({ title: 'Charlie' })], meta({ idempotencyKey: 'k1' }));
  await log.append('s-b', 1, [{ type: 'SessionTagsReplaced', data: { tags: ['x'] } }], meta());
  await log.append('s-b', 2, [{ type: 'SessionOpened', data: {} }], meta());
  await log.append('s-c', 1, [{ type: 'SessionDeleted', data: {} }], meta());
  const records: string[] = [];
  for await (const record of recordsOf(memory, 0)) records.push(record);
  await log.close();
  return records;
}

const HASH_SUFFIX = /,"hash":"[0-9a-f]{64}"\}$/;

/** The records with every hash recomputed, so a change to one breaks no rule but the one it targets. */
function rechain(records: string[]): string[] {
  let previous = GENESIS_HASH;
  return records.map((record) => {
    const unhashed = `${record.replace(HASH_SUFFIX, '')}}`;
    previous = chainHash(previous, unhashed);
    return `${unhashed.slice(0, -1)},"hash":"${previous}"}`;
  });
}

/** Edits the parsed event at `position` and writes it back in the stored key order (hash stale until rechained). */
function editEvent(records: string[], position: number, edit: (event: Record<string, any>) => void): string[] {
  return records.map((record, index) => {
    if (index !== position - 1) return record;
    const event = JSON.parse(record);
    edit(event);
    return JSON.stringify(event);
  });
}

interface Stored {
  records: string[];
  head?: LogHead;
  streamVersions?: Map<string, number>;
  index?: Array<{ streamId: string; version: number; position: number }>;
}

/** A backend over given records; head, stream heads and index are derived from them unless given. */
function backendOf({ records, head, streamVersions, index }: Stored): LogBackend {
  const events = records.flatMap((record): StoredEvent[] => {
    try {
      return [JSON.parse(record)];
    } catch {
      return []; // a broken record adds nothing to the derived head and index
    }
  });
  const last = events[events.length - 1];
  const derivedHeads = new Map<string, number>();
  for (const event of events) derivedHeads.set(event.streamId, event.version);
  const derivedIndex = events
    .map(({ streamId, version, position }) => ({ streamId, version, position }))
    .sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : a.version - b.version));
  return {
    load: async () => ({ head: head ?? (last ? { position: last.position, hash: last.hash } : { position: 0, hash: GENESIS_HASH }) }),
    streamVersions: async () => assert.fail('the verifier reads every stream head at once'),
    async *readStreamHeads() {
      yield* streamVersions ?? derivedHeads;
    },
    write: async (_events: readonly SerializedEvent[]) => assert.fail('the verifier must not write'),
    readStream: async () => assert.fail('the verifier reads the log, not streams'),
    streamPositions: async () => assert.fail('the verifier reads the whole stream index at once'),
    readPositions: async () => assert.fail('the verifier scans the log in pages'),
    async *readPages(after: number) {
      yield records.slice(after);
    },
    async *readStreamIndex() {
      yield* index ?? derivedIndex;
    },
    probe: async () => {},
    close: async () => {},
  };
}

const verify = (stored: Stored) => verifyLog(backendOf(stored));

describe('log verification (in process)', () => {
  let healthy: string[];

  before(async () => {
    healthy = await healthyRecords();
  });

  it('accepts a healthy log made by the event log, counting its events', async () => {
    assert.deepEqual(await verify({ records: healthy }), { ok: true, events: 8 });
  });

  it('accepts an empty log', async () => {
    assert.deepEqual(await verify({ records: [] }), { ok: true, events: 0 });
  });

  it('checks each event at its own schema version: v1 SessionCreated may lack client, v2 may not', async () => {
    const withoutClient = (schemaVersion: number) =>
      rechain(editEvent(healthy, 2, (event) => {
        delete event.data.client;
        event.schemaVersion = schemaVersion;
      }));
    assert.deepEqual(await verify({ records: withoutClient(1) }), { ok: true, events: 8 });
    const result = await verify({ records: withoutClient(2) });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.position, 2);
    assert.match(!result.ok ? result.problem : '', /^SessionCreated v2 data\s+must have required property 'client'$/);
  });

  const failures: Array<[string, () => string[], number, RegExp]> = [
    ['a record that is not JSON', () => healthy.map((record, index) => (index === 2 ? record.slice(0, 40) : record)), 3, /^not valid JSON/],
    ['a record that is not an object', () => healthy.map((record, index) => (index === 2 ? '[1,2]' : record)), 3, /^not a JSON object$/],
    ['keys in another order', () => rechain(healthy.map((record, index) => (index === 1 ? record.replace(/^\{"position":2,"streamId":"s-b"/, '{"streamId":"s-b","position":2') : record))), 2, /^has the keys streamId, position/],
    ['one letter of a title changed', () => healthy.map((record, index) => (index === 4 ? record.replace('Charlie', 'Charlje') : record)), 5, /^hash chain broken/],
    ['a removed event (a gap in positions)', () => healthy.filter((_, index) => index !== 2), 3, /^position 3 is missing: the next event is at position 4$/],
    ['a repeated event', () => [...healthy.slice(0, 3), healthy[2], ...healthy.slice(3)], 4, /^position 3 where 4 was expected$/],
    ['a position that is not a whole number', () => rechain(editEvent(healthy, 5, (event) => (event.position = 4.5))), 5, /^position 4\.5 is not a whole number$/],
    ['a hash that is not 64 lowercase hex digits', () => healthy.map((record, index) => (index === 0 ? record.replace(/"hash":"([0-9a-f]{64})"/, (_, hash: string) => `"hash":"${hash.toUpperCase()}"`) : record)), 1, /^does not end with a well-formed "hash"/],
    ['a chain that starts over mid-log', () => [...healthy.slice(0, 4), ...rechain(healthy.slice(4))], 5, /^hash chain broken/],
    ['a stream version skipped', () => rechain(editEvent(healthy, 6, (event) => (event.version = 3))), 6, /^stream s-b is at version 3 where 2 was expected$/],
    ['a stream that does not start at version 1', () => rechain(editEvent(healthy, 5, (event) => (event.version = 2))), 5, /^stream s-c is at version 2 where 1 was expected$/],
    ['a stream id the log would refuse', () => rechain(editEvent(healthy, 1, (event) => (event.streamId = 'bad id'))), 1, /^stream id "bad id" is not 1-128/],
    ['data that breaks its type\'s schema', () => rechain(editEvent(healthy, 3, (event) => (event.data.title = 42))), 3, /^SessionUpdated v1 data \/title must be string$/],
    ['an unknown event type', () => rechain(editEvent(healthy, 6, (event) => (event.type = 'SessionExploded'))), 6, /^unknown event type "SessionExploded"$/],
    ['a schema version that does not exist', () => rechain(editEvent(healthy, 6, (event) => (event.schemaVersion = 7))), 6, /^SessionTagsReplaced has no schema version 7$/],
    ['meta that breaks the meta schema', () => rechain(editEvent(healthy, 7, (event) => delete event.meta.actor)), 7, /^event meta\s+must have required property 'actor'$/],
  ];
  for (const [what, records, position, problem] of failures) {
    it(`reports the first bad position for ${what}`, async () => {
      const result = await verify({ records: records() });
      assert.equal(result.ok, false, JSON.stringify(result));
      if (result.ok) return;
      assert.equal(result.position, position, result.problem);
      assert.match(result.problem, problem);
      assert.equal(result.events, position - 1);
    });
  }

  it('reports a stored head behind, ahead of, or with another hash than the last event', async () => {
    const last = JSON.parse(healthy[7]) as StoredEvent;
    const ahead = await verify({ records: healthy, head: { position: 9, hash: last.hash } });
    assert.deepEqual(ahead, { ok: false, position: 9, problem: 'the stored head is at position 9 but the log ends at position 8', events: 8 });
    const behind = await verify({ records: healthy, head: { position: 6, hash: last.hash } });
    assert.deepEqual(behind, { ok: false, position: 7, problem: 'the log goes on to position 8 past the stored head at position 6', events: 8 });
    const otherHash = await verify({ records: healthy, head: { position: 8, hash: GENESIS_HASH } });
    assert.equal(!otherHash.ok && otherHash.position, 8);
    assert.match(!otherHash.ok ? otherHash.problem : '', /^the stored head's hash 000000000000… is not the last event's hash/);
  });

  it('reports a wrong, missing or extra stream head', async () => {
    const heads = () => new Map([['s-a', 3], ['s-b', 3], ['s-c', 2]]);
    const wrong = heads().set('s-b', 2);
    assert.deepEqual(await verify({ records: healthy, streamVersions: wrong }), {
      ok: false,
      position: 7,
      problem: 'stream s-b has 3 event(s) but its stored head says version 2',
      events: 8,
    });
    const missing = heads();
    missing.delete('s-a');
    assert.deepEqual(await verify({ records: healthy, streamVersions: missing }), {
      ok: false,
      position: 4,
      problem: 'stream s-a has 3 event(s) but its stored head is missing',
      events: 8,
    });
    assert.deepEqual(await verify({ records: healthy, streamVersions: heads().set('s-z', 1) }), {
      ok: false,
      position: 0,
      problem: 'stream s-z has a stored head (version 1) but no events in the log',
      events: 8,
    });
  });

  it('reports a stream index entry that points elsewhere, is missing, or has no event', async () => {
    const index = () =>
      healthy
        .map((record) => JSON.parse(record) as StoredEvent)
        .map(({ streamId, version, position }) => ({ streamId, version, position }))
        .sort((a, b) => a.streamId.localeCompare(b.streamId) || a.version - b.version);
    const pointsElsewhere = index().map((entry) => (entry.streamId === 's-a' && entry.version === 2 ? { ...entry, position: 5 } : entry));
    assert.deepEqual(await verify({ records: healthy, index: pointsElsewhere }), {
      ok: false,
      position: 3,
      problem: 'the stream index points s-a version 2 at position 5, not 3',
      events: 8,
    });
    const inTheMiddle = index().filter((entry) => !(entry.streamId === 's-b' && entry.version === 2));
    assert.deepEqual(await verify({ records: healthy, index: inTheMiddle }), { ok: false, position: 6, problem: 'the stream index lacks s-b version 2', events: 8 });
    const atTheEnd = index().filter((entry) => !(entry.streamId === 's-c' && entry.version === 2));
    assert.deepEqual(await verify({ records: healthy, index: atTheEnd }), { ok: false, position: 8, problem: 'the stream index lacks s-c version 2', events: 8 });
    const extra = [...index(), { streamId: 's-c', version: 3, position: 9 }];
    assert.deepEqual(await verify({ records: healthy, index: extra }), {
      ok: false,
      position: 0,
      problem: 'the stream index has s-c version 3 (position 9), an event the log does not hold',
      events: 8,
    });
  });

  it('checkRecord only reads the state; advance records the accepted event', () => {
    const state: ChainState = initialChainState();
    const before = structuredClone(state);
    const check = checkRecord(state, healthy[0]);
    assert.deepEqual(state, before);
    assert.ok(check.ok);
    advance(state, check.event);
    assert.deepEqual(state, { position: 1, hash: check.event.hash, streams: new Map([['s-a', 1]]) });
    const again = checkRecord(state, healthy[0]);
    assert.deepEqual(again, { ok: false, position: 2, problem: 'position 1 where 2 was expected' });
  });
});
