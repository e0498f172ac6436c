import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertError } from '../helpers/assertions';
import { eventually } from '../helpers/eventually';
import { newDataDir, readAllEvents, startTestServer, type TestServer } from '../helpers/server';
import { shownInWholeSeconds } from '../helpers/catalogue';
import { openStream, type SseClient } from '../helpers/sse';

/*
 * The desktop actions over HTTP (contract §8): open runs the configured opener on the project path,
 * never through a shell, and records SessionOpened; focus sends a transient notice to live-stream
 * clients, or starts the web app through the opener when none is connected, and writes nothing.
 */

type Json = Record<string, any>;

const OPEN_FAILED = 'Session project path is unavailable.';
const UNKNOWN_ID = 'session_01ARZ3NDEKTSV4RRFFQ69G5FAV';
const HOSTILE_NAME = `Song 'A' "B"; $(touch pwned) end`;

/** A stand-in opener: each run appends its arguments, as one JSON line, to calls.ndjson beside it. */
function writeOpener(directory: string): { path: string; calls(): string[][] } {
  const path = join(directory, 'fake-opener');
  const log = join(directory, 'calls.ndjson');
  writeFileSync(
    path,
    `#!/usr/bin/env node\nrequire('node:fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`,
  );
  chmodSync(path, 0o755);
  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as string[]) : []);
  return { path, calls };
}

describe('API: desktop actions, open and focus (contract §8)', () => {
  const servers: TestServer[] = [];
  const streams: SseClient[] = [];
  const track = (server: TestServer) => (servers.push(server), server);
  let scratch: string;
  let opener: ReturnType<typeof writeOpener>;
  let server: TestServer;

  const headOf = (target: TestServer) => target.server.store.head().position;
  const auth = (target: TestServer) => ({ Authorization: `Bearer ${target.token}` });
  const stream = async (target: TestServer, query = '') => {
    const client = await openStream(`${target.baseUrl}/events/stream${query}`, auth(target));
    streams.push(client);
    assert.equal(client.response.statusCode, 200);
    return client;
  };

  async function createSession(target: TestServer, body: Json): Promise<Json> {
    const response = await target.api('POST', '/sessions', { json: body });
    assert.equal(response.status, 201, response.text);
    return response.body.data;
  }

  const projectDirectory = (name: string) => {
    const path = join(scratch, name);
    mkdirSync(path);
    return path;
  };

  beforeEach(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'sessiondock-open-'));
    opener = writeOpener(scratch);
    server = track(await startTestServer({ opener: opener.path }));
  });

  afterEach(async () => {
    for (const client of streams.splice(0)) client.close();
    for (const each of servers.splice(0)) await each.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('POST /sessions/{id}/open', () => {
    it('runs the opener with the project path as its only argument and answers opened', async () => {
      const projectPath = projectDirectory('Song A');
      const { id } = await createSession(server, { title: 'Song A', projectPath });

      const response = await server.api('POST', `/sessions/${id}/open`);

      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, { data: { id, opened: true, focused: false } });
      const [call] = await eventually(async () => opener.calls(), (calls) => calls.length === 1, 'the opener run');
      assert.deepEqual(call, [projectPath]);
    });

    it('passes a path with spaces, quotes, ; and $(...) as one argument, never through a shell', async () => {
      const projectPath = projectDirectory(HOSTILE_NAME);
      const { id } = await createSession(server, { title: 'Hostile', projectPath });

      const response = await server.api('POST', `/sessions/${id}/open`);

      assert.equal(response.status, 200, response.text);
      const [call] = await eventually(async () => opener.calls(), (calls) => calls.length === 1, 'the opener run');
      assert.deepEqual(call, [projectPath]);
      for (const directory of [process.cwd(), scratch, projectPath, server.dataDir]) {
        assert.equal(existsSync(join(directory, 'pwned')), false, `a shell ran the path's $(...) in ${directory}`);
      }
    });

    it('records SessionOpened: lastOpened and version move, recent=true lists it', async () => {
      const created = await createSession(server, { title: 'Recent one', projectPath: projectDirectory('Recent one') });
      assert.equal(created.lastOpened, null);
      const recentBefore = await server.api('GET', '/sessions?recent=true');
      assert.deepEqual(recentBefore.body.data, []);
      const head = headOf(server);

      const response = await server.api('POST', `/sessions/${created.id}/open`);

      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers.etag, `"${created.version + 1}"`);
      const after = (await server.api('GET', `/sessions/${created.id}`)).body.data;
      assert.equal(after.version, created.version + 1);
      assert.ok(after.lastOpened !== null && Date.parse(after.lastOpened) >= Date.parse(created.createdAt), `lastOpened ${after.lastOpened}`);
      assert.equal(after.updatedAt, created.updatedAt, 'opening does not move updatedAt');
      const recent = await server.api('GET', '/sessions?recent=true');
      assert.deepEqual(
        recent.body.data.map((session: Json) => session.id),
        [created.id],
      );
      const appended = (await readAllEvents(server)).filter((event) => event.position > head);
      assert.deepEqual(
        appended.map(({ type, streamId, data }) => ({ type, streamId, data })),
        [{ type: 'SessionOpened', streamId: created.id, data: {} }],
      );
      assert.equal(shownInWholeSeconds(appended[0].meta.at), after.lastOpened);
    });

    it('answers focused: true when a live-stream client received the focus notice', async () => {
      const { id } = await createSession(server, { title: 'Focused', projectPath: projectDirectory('Focused') });
      const client = await stream(server, '?type=SessionFocusRequested');

      const response = await server.api('POST', `/sessions/${id}/open`);

      assert.deepEqual(response.body, { data: { id, opened: true, focused: true } });
      const [notice] = await client.waitForMessages(1);
      assert.equal(notice.event, 'SessionFocusRequested');
      assert.equal(JSON.parse(notice.data).sessionId, id);
    });

    it('refuses a project path that does not exist: 400 open_failed, opener not run, nothing appended', async () => {
      const { id } = await createSession(server, { title: 'Moved away', projectPath: join(scratch, 'gone') });
      const head = headOf(server);

      assertError(await server.api('POST', `/sessions/${id}/open`), 400, 'open_failed', OPEN_FAILED);

      assert.equal(headOf(server), head);
      assert.deepEqual(opener.calls(), []);
      assert.equal((await server.api('GET', `/sessions/${id}`)).body.data.lastOpened, null);
    });

    it('checks If-Match before launching: a stale version is 412, the opener is not run and nothing is appended', async () => {
      const { id, version } = await createSession(server, { title: 'Pinned', projectPath: projectDirectory('Pinned') });
      const head = headOf(server);

      assertError(await server.api('POST', `/sessions/${id}/open`, { headers: { 'If-Match': `"${version + 1}"` } }), 412, 'version_conflict');

      assert.equal(headOf(server), head);
      assert.deepEqual(opener.calls(), []);
      const opened = await server.api('POST', `/sessions/${id}/open`, { headers: { 'If-Match': `"${version}"` } });
      assert.equal(opened.status, 200, opened.text);
    });

    it('refuses a session without a project path: 400 open_failed', async () => {
      const { id } = await createSession(server, { title: 'No project', projectPath: null });
      const head = headOf(server);

      assertError(await server.api('POST', `/sessions/${id}/open`), 400, 'open_failed', OPEN_FAILED);

      assert.equal(headOf(server), head);
    });

    for (const [what, configured] of [
      ['an absolute path that does not exist', '/nonexistent/opener'],
      ['a name not on PATH', 'sessiondock-no-such-opener'],
      ['a file that is not executable', { name: 'plain-file', text: '#!/bin/sh\n', mode: 0o644 }],
      ['a script whose interpreter is missing (spawn fails)', { name: 'broken-opener', text: '#!/nonexistent/interpreter\n', mode: 0o755 }],
    ] as const) {
      it(`answers 501 open_unavailable for an opener that is ${what}, and appends nothing`, async () => {
        let setting: string;
        if (typeof configured === 'string') setting = configured;
        else {
          setting = join(scratch, configured.name);
          writeFileSync(setting, configured.text, { mode: configured.mode });
        }
        const target = track(await startTestServer({ opener: setting }));
        const { id } = await createSession(target, { title: 'No opener', projectPath: projectDirectory('No opener') });
        const head = headOf(target);

        assertError(await target.api('POST', `/sessions/${id}/open`), 501, 'open_unavailable');

        assert.equal(headOf(target), head);
        assert.equal((await target.api('GET', `/sessions/${id}`)).body.data.lastOpened, null);
      });
    }

    it('answers 404 for an unknown or deleted session', async () => {
      assertError(await server.api('POST', `/sessions/${UNKNOWN_ID}/open`), 404, 'not_found', 'session not found');
      const { id } = await createSession(server, { title: 'Deleted', projectPath: projectDirectory('Deleted') });
      assert.equal((await server.api('DELETE', `/sessions/${id}`)).status, 200);
      assertError(await server.api('POST', `/sessions/${id}/open`), 404, 'not_found', 'session not found');
      assert.deepEqual(opener.calls(), []);
    });
  });

  describe('POST /sessions/{id}/focus', () => {
    it('starts the web app at the session through the opener when no live-stream client is connected (200)', async () => {
      const { id } = await createSession(server, { title: 'Alone' });
      const head = headOf(server);

      const response = await server.api('POST', `/sessions/${id}/focus`);

      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, { data: { id, opened: false, focused: true } });
      const calls = opener.calls();
      assert.equal(calls.length, 1);
      assert.match(calls[0][0], new RegExp(`^${server.origin}/app/login\\?code=[A-Za-z0-9_-]+$`));
      assert.equal(headOf(server), head, 'focus appended to the log');
    });

    it('answers 501 focus_unavailable when no live-stream client is connected and no opener can be found', async () => {
      const withoutOpener = track(await startTestServer({ opener: join(scratch, 'no-such-opener') }));
      const { id } = await createSession(withoutOpener, { title: 'Alone' });

      assertError(await withoutOpener.api('POST', `/sessions/${id}/focus`), 501, 'focus_unavailable', 'No client is connected and no opener is available to start the web app.');
    });

    it('sends a connected stream client a SessionFocusRequested notice without an id, and writes nothing', async () => {
      const { id } = await createSession(server, { title: 'Look here' });
      const client = await stream(server);
      const head = headOf(server);

      const response = await server.api('POST', `/sessions/${id}/focus`, { headers: { 'X-Request-Id': 'focus-request-1' } });

      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, { data: { id, opened: false, focused: true } });
      const [notice] = await client.waitForMessages(1);
      assert.equal(notice.event, 'SessionFocusRequested');
      assert.equal(notice.id, undefined, 'a notice has no log position');
      const data = JSON.parse(notice.data);
      assert.deepEqual(Object.keys(data).sort(), ['at', 'requestId', 'sessionId', 'type']);
      assert.equal(data.type, 'SessionFocusRequested');
      assert.equal(data.sessionId, id);
      assert.equal(data.requestId, 'focus-request-1');
      assert.ok(!Number.isNaN(Date.parse(data.at)));
      assert.equal(headOf(server), head, 'focus appended to the log');

      // The next logged event still carries the next position.
      await server.api('PATCH', `/sessions/${id}`, { json: { status: 'review' } });
      const [, next] = await client.waitForMessages(2);
      assert.equal(Number(next.id), head + 1);
    });

    it('does not count a stream client whose filters exclude the notice', async () => {
      // No opener: a focus no client receives answers 501 rather than starting the web app.
      server = track(await startTestServer({ opener: join(scratch, 'no-such-opener') }));
      const { id } = await createSession(server, { title: 'Filtered' });
      const other = await createSession(server, { title: 'Other' });
      const byType = await stream(server, '?type=SessionCreated');
      const bySession = await stream(server, `?sessionId=${other.id}`);

      assertError(await server.api('POST', `/sessions/${id}/focus`), 501, 'focus_unavailable');

      const matching = await stream(server, `?sessionId=${id}&type=SessionFocusRequested`);
      assert.equal((await server.api('POST', `/sessions/${id}/focus`)).status, 200);
      await matching.waitForMessages(1);
      await server.api('PATCH', `/sessions/${other.id}`, { json: { status: 'review' } });
      await bySession.waitForMessages(1);
      assert.deepEqual(
        [...byType.messages, ...bySession.messages].map((message) => message.event),
        ['SessionUpdated'],
      );
    });

    it('stops counting a client once it has disconnected', async () => {
      server = track(await startTestServer({ opener: join(scratch, 'no-such-opener') }));
      const { id } = await createSession(server, { title: 'Gone' });
      const client = await stream(server);
      assert.equal((await server.api('POST', `/sessions/${id}/focus`)).status, 200);

      client.close();

      await eventually(async () => (await server.api('POST', `/sessions/${id}/focus`)).status, (status) => status === 501, 'focus_unavailable after the client left');
    });

    it('answers 404 for an unknown session', async () => {
      await stream(server);

      assertError(await server.api('POST', `/sessions/${UNKNOWN_ID}/focus`), 404, 'not_found', 'session not found');
    });
  });

  describe('read-only mode', () => {
    it('refuses open and focus with 403 read_only, runs nothing and writes nothing', async () => {
      const dataDir = newDataDir();
      const writable = await startTestServer({ opener: opener.path }, { dataDir });
      const { id } = await createSession(writable, { title: 'Frozen', projectPath: projectDirectory('Frozen') });
      await writable.stop();
      const readOnly = track(await startTestServer({ mode: 'read-only', opener: opener.path }, { dataDir }));
      await stream(readOnly);
      const head = headOf(readOnly);

      for (const action of ['open', 'focus']) {
        assertError(await readOnly.api('POST', `/sessions/${id}/${action}`), 403, 'read_only', 'Enable Full Automation to perform this action.');
      }

      assert.equal(headOf(readOnly), head);
      assert.deepEqual(opener.calls(), []);
    });
  });
});
