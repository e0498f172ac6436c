import assert from 'node:assert/strict';
import { logDirectory } from '../../src/server';
import { LevelBackend } from '../../src/store';
import { chainHash, GENESIS_HASH, withHash } from '../../src/store/hash-chain';
import { assertError } from '../helpers/assertions';
import { eventually } from '../helpers/eventually';
import { openStream } from '../helpers/sse';
import { newDataDir, readAllEvents, startTestServer, type TestServer } from '../helpers/server';

describe('the log as a product: audit routes and the live stream (§10)', () => {
  let server: TestServer;
  const auth = () => ({ Authorization: `Bearer ${server.token}` });
  const create = async (title: string) => (await server.api('POST', '/sessions', { json: { title } })).body.data.id as string;

  beforeEach(async () => {
    server = await startTestServer({ streamHeartbeatMs: 50, streamMaxBufferedBytes: 64 * 1024 });
  });

  afterEach(async () => {
    await server.dispose();
  });

  describe('audit', () => {
    it('pages through the whole log in order with meta.next and meta.head, and filters by type and session', async () => {
      const a = await create('A');
      const b = await create('B');
      await server.api('PATCH', `/sessions/${a}`, { json: { status: 'review' } });
      await server.api('PUT', `/sessions/${b}/tags`, { json: { tags: ['x'] } });
      await server.api('DELETE', `/sessions/${a}`);
      const log = await readAllEvents(server);

      const pages = [];
      let after = 0;
      for (;;) {
        const page = await server.api('GET', `/events?after=${after}&limit=2`);
        assert.equal(page.status, 200);
        assert.equal(page.body.meta.head, 5);
        pages.push(...page.body.data);
        if (page.body.meta.next === null) break;
        after = page.body.meta.next;
      }
      assert.deepEqual(pages, log);

      const onlyA = await server.api('GET', `/events?sessionId=${a}`);
      assert.deepEqual(onlyA.body.data.map((event: { type: string }) => event.type), ['SessionCreated', 'SessionUpdated', 'SessionDeleted']);
      const typed = await server.api('GET', '/events?type=SessionCreated&type=SessionDeleted');
      assert.deepEqual(typed.body.data.map((event: { position: number }) => event.position), [1, 2, 5]);
      assertError(await server.api('GET', '/events?type=NoSuchEvent'), 400, 'invalid_query');
      assertError(await server.api('GET', '/events?after=-1'), 400, 'invalid_query');
    });

    it('keeps the history of a deleted session and answers ?at= with each state it had', async () => {
      const id = await create('First title');
      const states = [(await server.api('GET', `/sessions/${id}`)).body.data];
      states.push((await server.api('PATCH', `/sessions/${id}`, { json: { title: 'Second title', client: 'Ana' } })).body.data);
      await create('Someone else');
      await server.api('PUT', `/sessions/${id}/notes`, { json: { notes: 'third' } });
      states.push((await server.api('GET', `/sessions/${id}`)).body.data);
      await server.api('DELETE', `/sessions/${id}`);

      const history = await server.api('GET', `/sessions/${id}/history`);
      assert.equal(history.status, 200);
      const positions = history.body.data.map((event: { position: number }) => event.position);
      assert.deepEqual(positions, [1, 2, 4, 5]);
      assert.deepEqual(history.body.data.map((event: { type: string }) => event.type), ['SessionCreated', 'SessionUpdated', 'SessionNotesReplaced', 'SessionDeleted']);

      for (const [index, position] of [1, 2, 4].entries()) {
        const then = await server.api('GET', `/sessions/${id}?at=${position}`);
        assert.equal(then.status, 200);
        assert.deepEqual(then.body.data, states[index]);
        assert.equal(then.headers.etag, `"${states[index].version}"`);
      }
      assert.deepEqual((await server.api('GET', `/sessions/${id}?at=3`)).body.data, states[1]);
      assertError(await server.api('GET', `/sessions/${id}?at=5`), 404, 'not_found');
      assertError(await server.api('GET', `/sessions/${id}?at=0`), 404, 'not_found');
      assertError(await server.api('GET', `/sessions/${id}`), 404, 'not_found');
      assertError(await server.api('GET', '/sessions/session_01ARZ3NDEKTSV4RRFFQ69G5FAV/history'), 404, 'not_found');
      assertError(await server.api('GET', `/sessions/${id}?at=x`), 400, 'invalid_query');
    });

    it('reads an old SessionCreated (schema version 1, no client) as version 2 with client null', async () => {
      const data = { title: 'From an old log', kind: 'Other', status: 'draft', accent: 'default', tags: [], notes: '', projectPath: null };
      const json = JSON.stringify({ position: 1, streamId: 'session_01ARZ3NDEKTSV4RRFFQ69G5FAV', version: 1, type: 'SessionCreated', schemaVersion: 1, data, meta: { at: '2026-01-01T00:00:00.000Z', requestId: 'old', actor: 'test' } });
      await server.stop();
      const backend = new LevelBackend(logDirectory(server.dataDir));
      await backend.load();
      const hash = chainHash(GENESIS_HASH, json);
      await backend.write([{ event: { ...JSON.parse(json), hash }, json: withHash(json, hash) }], new Map([['session_01ARZ3NDEKTSV4RRFFQ69G5FAV', 1]]), { position: 1, hash });
      await backend.close();

      server = await startTestServer({}, { dataDir: server.dataDir });
      const session = await server.api('GET', '/sessions/session_01ARZ3NDEKTSV4RRFFQ69G5FAV');
      assert.equal(session.status, 200);
      assert.equal(session.body.data.client, null);
      assert.equal(session.body.data.title, 'From an old log');
      const [event] = (await server.api('GET', '/events')).body.data;
      assert.equal(event.schemaVersion, 2);
      assert.equal(event.data.client, null);
      const raw = await readAllEvents(server);
      assert.equal(raw[0].schemaVersion, 1, 'the stored event is not rewritten');
    });
  });

  describe('reading the log for a request', () => {
    /** The log as the server opens it, counting the scans it opens and the positions it looks up. */
    class WatchedBackend extends LevelBackend {
      scans = 0;
      lookups: number[] = [];

      override readPages(after: number): AsyncIterable<string[]> {
        this.scans += 1;
        return super.readPages(after);
      }

      override readPositions(from: number, to: number): Promise<string[]> {
        this.lookups.push(to - from + 1);
        return super.readPositions(from, to);
      }
    }

    it('answers the audit routes and the stream with point lookups of the positions they need, never a log scan', async () => {
      await server.dispose();
      const dataDir = newDataDir();
      const backend = new WatchedBackend(logDirectory(dataDir));
      server = await startTestServer({ streamHeartbeatMs: 50 }, { dataDir, backend });
      const ids = [await create('A'), await create('B'), await create('C')];
      await server.api('PATCH', `/sessions/${ids[0]}`, { json: { status: 'review' } });
      backend.lookups = [];

      const page = await server.api('GET', '/events?after=1&limit=2');
      assert.deepEqual(page.body.data.map((event: { position: number }) => event.position), [2, 3]);
      assert.deepEqual(backend.lookups, [2], 'an unfiltered page looks up exactly its positions');
      const typed = await server.api('GET', '/events?type=SessionUpdated');
      assert.deepEqual(typed.body.data.map((event: { position: number }) => event.position), [4]);
      assert.equal((await server.api('GET', `/sessions/${ids[0]}/history`)).body.meta.total, 2);
      const stream = await openStream(`${server.baseUrl}/events/stream?after=2`, auth());
      try {
        assert.deepEqual((await stream.waitForMessages(2)).map((message) => message.id), ['3', '4']);
        await create('D');
        assert.deepEqual((await stream.waitForMessages(3)).map((message) => message.id), ['3', '4', '5']);
      } finally {
        stream.close();
      }
      assert.equal(backend.scans, 0);
    });
  });

  describe('live stream', () => {
    it('delivers a burst of 500 writes in order, and resumes after 200 with Last-Event-ID exactly once', async () => {
      const id = await create('Burst');
      const start = server.server.store.head().position;
      const first = await openStream(`${server.baseUrl}/events/stream`, auth());
      assert.equal(first.response.statusCode, 200);
      assert.match(String(first.response.headers['content-type']), /^text\/event-stream/);
      const second = await openStream(`${server.baseUrl}/events/stream`, auth());

      await Promise.all(Array.from({ length: 500 }, (_, index) => server.api('PUT', `/sessions/${id}/notes`, { json: { notes: `take ${index}` } })));
      const all = await first.waitForMessages(500);
      assert.deepEqual(all.map((message) => Number(message.id)), Array.from({ length: 500 }, (_, index) => start + index + 1));
      assert.ok(all.every((message) => message.event === 'SessionNotesReplaced'));
      assert.equal(JSON.parse(all[0].data).position, start + 1);

      const partial = await second.waitForMessages(200);
      second.close();
      const lastSeen = partial[199].id!;
      const resumed = await openStream(`${server.baseUrl}/events/stream`, { ...auth(), 'Last-Event-ID': lastSeen });
      const rest = await resumed.waitForMessages(300);
      assert.deepEqual(rest.map((message) => Number(message.id)), Array.from({ length: 300 }, (_, index) => Number(lastSeen) + index + 1));
      await server.api('PATCH', `/sessions/${id}`, { json: { status: 'final' } });
      await resumed.waitForMessages(301);
      assert.equal(resumed.messages.length, 301, 'no duplicate after the switch to live');
      first.close();
      resumed.close();
    });

    it('resumes with ?after=, filters by type and sessionId, and sends heartbeats', async () => {
      const a = await create('A');
      const b = await create('B');
      await server.api('PATCH', `/sessions/${b}`, { json: { status: 'review' } });
      const stream = await openStream(`${server.baseUrl}/events/stream?after=0&sessionId=${b}&type=SessionUpdated`, auth());
      const [only] = await stream.waitForMessages(1);
      assert.equal(only.event, 'SessionUpdated');
      assert.equal(JSON.parse(only.data).streamId, b);
      await server.api('PATCH', `/sessions/${a}`, { json: { status: 'review' } });
      await server.api('PATCH', `/sessions/${b}`, { json: { status: 'final' } });
      await stream.waitForMessages(2);
      assert.equal(JSON.parse(stream.messages[1].data).data.status, 'final');
      await eventually(async () => stream.comments.filter((comment) => comment === 'heartbeat').length, (count) => count >= 2, 'two heartbeats');
      assert.equal(stream.messages.length, 2);
      stream.close();
    });

    it('needs the token and validates its parameters', async () => {
      assertError(await server.api('GET', '/events/stream', { token: null }), 401, 'unauthorized');
      assertError(await server.api('GET', '/events/stream?type=Nope'), 400, 'invalid_query');
      assertError(await server.api('GET', '/events/stream', { headers: { 'Last-Event-ID': 'abc' } }), 400, 'invalid_request');
    });

    it('drops a client that does not read, with a final error event, and keeps serving', async () => {
      const id = await create('Big notes');
      const stalled = await openStream(`${server.baseUrl}/events/stream`, auth());
      stalled.response.pause();
      const notes = 'n'.repeat(19_000);
      for (let index = 0; index < 400 && !stalled.response.destroyed; index += 1) {
        await server.api('PUT', `/sessions/${id}/notes`, { json: { notes: `${index}${notes}` } });
        if (server.server.requestsInFlight() === 0 && (await server.api('GET', '/health')).body.data.recentRequests.length === 0) break;
      }
      stalled.response.resume();
      await stalled.ended;
      const last = stalled.messages[stalled.messages.length - 1];
      assert.equal(last.event, 'error');
      assert.equal(JSON.parse(last.data).error.code, 'overloaded');
      assert.equal((await server.api('GET', '/health')).status, 200);
    });

    it('closes live clients at shutdown', async () => {
      const stream = await openStream(`${server.baseUrl}/events/stream`, auth());
      await server.stop();
      await stream.ended;
    });
  });
});
