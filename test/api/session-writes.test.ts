import assert from 'node:assert/strict';
import type { StoredEvent } from '../../events/envelope';
import { assertError } from '../helpers/assertions';
import type { HttpOptions, HttpResponse } from '../helpers/http';
import { newDataDir, readAllEvents, startTestServer, type TestServer } from '../helpers/server';

/*
 * Writes on sessions over HTTP: PATCH, DELETE, the notes and tags sub-resources, GET /tags,
 * optimistic concurrency (If-Match) and idempotent creates (contract §4, §5.1, §5.2, §10).
 */

type Json = Record<string, any>;

const READ_ONLY = 'Enable Full Automation to perform this action.';
const NOT_FOUND = 'session not found';
const UNKNOWN_ID = 'session_01ARZ3NDEKTSV4RRFFQ69G5FAV';
const DOCS_PATCH = { notes: 'Print a brighter synth stem for revision B.', status: 'in-progress' };
const DOCS_NOTES = { notes: 'Send alt vocal print to client before 5 PM.' };

const headOf = (server: TestServer) => server.server.store.head().position;

async function createSession(server: TestServer, body: Json = { title: 'Untitled' }): Promise<Json> {
  const response = await server.api('POST', '/sessions', { json: body });
  assert.equal(response.status, 201, response.text);
  return response.body.data;
}

async function getSession(server: TestServer, id: string): Promise<HttpResponse> {
  return server.api('GET', `/sessions/${id}`);
}

async function eventsAfter(server: TestServer, position: number): Promise<StoredEvent[]> {
  return (await readAllEvents(server)).filter((event) => event.position > position);
}

async function streamOf(server: TestServer, id: string): Promise<StoredEvent[]> {
  return (await readAllEvents(server)).filter((event) => event.streamId === id);
}

/**
 * Waits (without a fixed sleep) until the wall clock has left the second `iso` shows (timestamps
 * are whole seconds), so a later write gets a later timestamp.
 */
async function untilClockPasses(iso: string): Promise<void> {
  const secondEnds = Date.parse(iso) + 1000;
  while (Date.now() < secondEnds) await new Promise((resolve) => setTimeout(resolve, Math.min(20, secondEnds - Date.now())));
}

/** The request was refused: nothing was appended and the session reads as before. */
async function assertNothingWritten(server: TestServer, positionBefore: number, id?: string, sessionBefore?: Json): Promise<void> {
  assert.equal(headOf(server), positionBefore, 'the log head moved after a rejected request');
  if (id !== undefined && sessionBefore !== undefined) {
    const now = await getSession(server, id);
    assert.equal(now.status, 200, now.text);
    assert.deepEqual(now.body.data, sessionBefore);
  }
}

function assertJson(response: HttpResponse): void {
  assert.match(String(response.headers['content-type']), /^application\/json;\s*charset=utf-8$/i);
}

interface WriteRoute {
  name: string;
  method: string;
  path: (id: string) => string;
  options: HttpOptions;
}

/** Every write on an existing session, each with a valid body. */
const sessionWriteRoutes: WriteRoute[] = [
  { name: 'PATCH /sessions/{id}', method: 'PATCH', path: (id) => `/sessions/${id}`, options: { json: { title: 'Renamed' } } },
  { name: 'DELETE /sessions/{id}', method: 'DELETE', path: (id) => `/sessions/${id}`, options: {} },
  { name: 'PUT /sessions/{id}/notes', method: 'PUT', path: (id) => `/sessions/${id}/notes`, options: { json: { notes: 'new notes' } } },
  { name: 'PATCH /sessions/{id}/notes', method: 'PATCH', path: (id) => `/sessions/${id}/notes`, options: { json: { notes: 'new notes' } } },
  { name: 'PUT /sessions/{id}/tags', method: 'PUT', path: (id) => `/sessions/${id}/tags`, options: { json: { tags: ['new'] } } },
  { name: 'PATCH /sessions/{id}/tags', method: 'PATCH', path: (id) => `/sessions/${id}/tags`, options: { json: { tags: ['new'] } } },
];

describe('API: session writes (contract §5.1, §5.2, §10)', () => {
  const servers: TestServer[] = [];
  const track = (server: TestServer) => (servers.push(server), server);
  let server: TestServer;

  beforeEach(async () => {
    server = track(await startTestServer());
  });

  afterEach(async () => {
    // Newest first: a later server may share an earlier one's data directory.
    while (servers.length > 0) await servers.pop()!.dispose();
  });

  describe('PATCH /sessions/{id}', () => {
    it('applies the docs example: 200, both fields changed, version 2, ETag "2", updatedAt moved, the rest unchanged', async () => {
      // Given a session
      const created = await createSession(server, {
        title: 'Synth stems',
        kind: 'Ableton',
        tags: ['stems', 'synth'],
        client: 'Ana',
        accent: '#112233',
        projectPath: '/Users/ana/Music/Synth Stems.als',
      });
      await untilClockPasses(created.updatedAt);
      const before = headOf(server);

      // When the docs example PATCH is sent
      const response = await server.api('PATCH', `/sessions/${created.id}`, { json: DOCS_PATCH });

      // Then both fields changed, nothing else but version and updatedAt
      assert.equal(response.status, 200, response.text);
      assertJson(response);
      assert.equal(response.headers.etag, '"2"');
      assert.deepEqual(Object.keys(response.body), ['data']);
      const updated = response.body.data;
      assert.ok(updated.updatedAt > created.updatedAt, `updatedAt ${updated.updatedAt} did not move past ${created.updatedAt}`);
      assert.ok(!Number.isNaN(Date.parse(updated.updatedAt)));
      assert.deepEqual(
        { ...updated, updatedAt: undefined },
        { ...created, notes: DOCS_PATCH.notes, status: 'in-progress', version: 2, updatedAt: undefined },
      );

      // And exactly one SessionUpdated holding only the changed fields was appended
      const events = await eventsAfter(server, before);
      assert.equal(events.length, 1);
      assert.equal(events[0].type, 'SessionUpdated');
      assert.equal(events[0].streamId, created.id);
      assert.equal(events[0].version, 2);
      assert.deepEqual(events[0].data, DOCS_PATCH);

      // And a later GET reads the same session and ETag
      const fetched = await getSession(server, created.id);
      assert.equal(fetched.headers.etag, '"2"');
      assert.deepEqual(fetched.body, response.body);
    });

    it('records only the fields that actually change when the body also repeats current values', async () => {
      // Given a session
      const created = await createSession(server, { title: 'Loop', status: 'draft', client: 'Bo' });
      const before = headOf(server);

      // When a PATCH repeats the title and client but changes the accent
      const response = await server.api('PATCH', `/sessions/${created.id}`, { json: { title: 'Loop', client: 'Bo', accent: 'ocean-blue' } });

      // Then the event carries the accent alone
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.data.accent, 'ocean-blue');
      const events = await eventsAfter(server, before);
      assert.equal(events.length, 1);
      assert.deepEqual(events[0].data, { accent: 'ocean-blue' });
    });

    it('clears client and projectPath with null, resets notes to "" and tags to []', async () => {
      // Given a session with every nullable or resettable field set
      const created = await createSession(server, {
        title: 'Full',
        tags: ['a', 'b'],
        notes: 'some notes',
        client: 'Client Co',
        projectPath: '/music/full.als',
      });
      const before = headOf(server);

      // When they are all PATCHed to null
      const response = await server.api('PATCH', `/sessions/${created.id}`, { json: { client: null, projectPath: null, notes: null, tags: null } });

      // Then they are cleared (the first recorded path stays)
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers.etag, '"2"');
      const session = response.body.data;
      assert.equal(session.client, null);
      assert.equal(session.projectPath, null);
      assert.equal(session.notes, '');
      assert.deepEqual(session.tags, []);
      assert.equal(session.projectOriginalPath, '/music/full.als');
      assert.equal(session.title, 'Full');
      assert.equal(session.version, 2);
      const events = await eventsAfter(server, before);
      assert.equal(events.length, 1);
      assert.deepEqual(events[0].data, { client: null, projectPath: null, notes: '', tags: [] });
    });

    it('refuses title null with 400 invalid_request naming title, and writes nothing', async () => {
      const created = await createSession(server, { title: 'Keep me' });
      const before = headOf(server);

      const response = await server.api('PATCH', `/sessions/${created.id}`, { json: { title: null } });

      assertError(response, 400, 'invalid_request', /^title\b/);
      assert.ok(response.body.error.details.some((detail: Json) => detail.field === '/title'), response.text);
      await assertNothingWritten(server, before, created.id, created);
    });

    it('refuses an empty body {} with 400 invalid_request saying at least one field', async () => {
      const created = await createSession(server);
      const before = headOf(server);

      const response = await server.api('PATCH', `/sessions/${created.id}`, { json: {} });

      assertError(response, 400, 'invalid_request', /at least one field/);
      await assertNothingWritten(server, before, created.id, created);
    });

    for (const field of ['id', 'createdAt', 'version', 'projectOriginalPath'] as const) {
      it(`refuses the read-only field ${field} with 400 invalid_request naming it as read-only`, async () => {
        // Given a session
        const created = await createSession(server, { title: 'Guarded', projectPath: '/music/guarded.als' });
        const before = headOf(server);
        // (an echoed value equal to the current one is ignored: test/fidelity/inputs-read-modify-write.test.ts)
        const values: Json = { id: 'session_01ARZ3NDEKTSV4RRFFQ69G5FAV', createdAt: '2020-01-01T00:00:00Z', version: 7, projectOriginalPath: '/elsewhere/guarded.als' };

        // When a PATCH carries another value of the read-only field next to a valid one
        const response = await server.api('PATCH', `/sessions/${created.id}`, { json: { title: 'Changed', [field]: values[field] } });

        // Then it is refused, naming the field, and nothing changes
        assertError(response, 400, 'invalid_request', new RegExp(`^${field}\\b.*read-only`));
        assert.deepEqual(
          response.body.error.details.filter((detail: Json) => detail.field === `/${field}`).map((detail: Json) => /read-only/.test(detail.message)),
          [true],
          response.text,
        );
        await assertNothingWritten(server, before, created.id, created);
      });
    }

    it('keeps projectOriginalPath (the first recorded path) when the project moves and when its path is cleared', async () => {
      // Given a session created with a path
      const created = await createSession(server, { title: 'Moves', projectPath: '/music/first/moves.als' });
      assert.equal(created.projectOriginalPath, '/music/first/moves.als');

      // When the project moves
      const moved = await server.api('PATCH', `/sessions/${created.id}`, { json: { projectPath: '/music/second/moves.als' } });
      assert.equal(moved.status, 200, moved.text);
      assert.equal(moved.body.data.projectPath, '/music/second/moves.als');
      assert.equal(moved.body.data.projectOriginalPath, '/music/first/moves.als');

      // And when its path is cleared
      const cleared = await server.api('PATCH', `/sessions/${created.id}`, { json: { projectPath: null } });
      assert.equal(cleared.status, 200, cleared.text);
      assert.equal(cleared.body.data.projectPath, null);
      assert.equal(cleared.body.data.projectOriginalPath, '/music/first/moves.als');

      // And when a new path is recorded after the clear
      const again = await server.api('PATCH', `/sessions/${created.id}`, { json: { projectPath: 'C:\\Projects\\moves.als' } });
      assert.equal(again.status, 200, again.text);
      assert.equal(again.body.data.projectPath, 'C:\\Projects\\moves.als');

      // Then the original path is still the first one
      assert.equal(again.body.data.projectOriginalPath, '/music/first/moves.als');
      const fetched = await getSession(server, created.id);
      assert.equal(fetched.body.data.projectOriginalPath, '/music/first/moves.als');
      assert.equal(fetched.body.data.version, 4);
    });

    it('records the first path as projectOriginalPath on a session created without one', async () => {
      const created = await createSession(server, { title: 'Pathless' });
      assert.equal(created.projectOriginalPath, null);

      const first = await server.api('PATCH', `/sessions/${created.id}`, { json: { projectPath: '/music/found.rpp' } });
      const second = await server.api('PATCH', `/sessions/${created.id}`, { json: { projectPath: '/music/moved.rpp' } });

      assert.equal(first.body.data.projectOriginalPath, '/music/found.rpp');
      assert.equal(second.body.data.projectPath, '/music/moved.rpp');
      assert.equal(second.body.data.projectOriginalPath, '/music/found.rpp');
    });

    const noOps: Array<[string, Json]> = [
      ['the same values', { title: 'Same', status: 'review', client: 'Cleo', accent: '#aabbcc', kind: 'Reaper', notes: 'same notes' }],
      ['the title and kind with white space around them', { title: '  Same  ', kind: ' Reaper ' }],
      ['tags differing only by duplicates and white space', { tags: [' mix ', 'MIX', 'vocals', 'Vocals ', 'mix'] }],
      ['null for fields that are already empty', { projectPath: null }],
    ];
    for (const [what, body] of noOps) {
      it(`answers 200 with the same version and appends nothing for a PATCH with ${what}`, async () => {
        // Given a session
        const created = await createSession(server, {
          title: 'Same',
          status: 'review',
          client: 'Cleo',
          accent: '#aabbcc',
          kind: 'Reaper',
          notes: 'same notes',
          tags: ['mix', 'vocals'],
        });
        await untilClockPasses(created.updatedAt);
        const before = headOf(server);

        // When a PATCH changes nothing
        const response = await server.api('PATCH', `/sessions/${created.id}`, { json: body });

        // Then it answers the current state, unchanged
        assert.equal(response.status, 200, response.text);
        assert.equal(response.headers.etag, '"1"');
        assert.deepEqual(response.body, { data: created });
        await assertNothingWritten(server, before, created.id, created);
      });
    }
  });

  describe('notes and tags routes', () => {
    it('GET /sessions/{id}/notes answers exactly {data: {id, notes}} with the ETag', async () => {
      const created = await createSession(server, { title: 'With notes', notes: 'first take' });

      const response = await server.api('GET', `/sessions/${created.id}/notes`);

      assert.equal(response.status, 200, response.text);
      assertJson(response);
      assert.equal(response.headers.etag, '"1"');
      assert.deepEqual(response.body, { data: { id: created.id, notes: 'first take' } });
    });

    it('PUT notes with the docs example replaces them: 200 {data: {id, notes}}, ETag "2", one SessionNotesReplaced', async () => {
      // Given a session with notes
      const created = await createSession(server, { title: 'Vocals', notes: 'old notes' });
      await untilClockPasses(created.updatedAt);
      const before = headOf(server);

      // When the docs example is PUT
      const response = await server.api('PUT', `/sessions/${created.id}/notes`, { json: DOCS_NOTES });

      // Then the notes are replaced
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers.etag, '"2"');
      assert.deepEqual(response.body, { data: { id: created.id, notes: DOCS_NOTES.notes } });
      const events = await eventsAfter(server, before);
      assert.deepEqual(
        events.map((event) => [event.type, event.streamId, event.version, event.data]),
        [['SessionNotesReplaced', created.id, 2, { notes: DOCS_NOTES.notes }]],
      );
      const session = (await getSession(server, created.id)).body.data;
      assert.deepEqual(
        { ...session, updatedAt: undefined },
        { ...created, notes: DOCS_NOTES.notes, version: 2, updatedAt: undefined },
      );
      assert.ok(session.updatedAt > created.updatedAt);
      const read = await server.api('GET', `/sessions/${created.id}/notes`);
      assert.equal(read.headers.etag, '"2"');
      assert.deepEqual(read.body, response.body);
    });

    it('PATCH notes replaces them too (no merge), and null and "" both clear them', async () => {
      const created = await createSession(server, { title: 'Notes', notes: 'one' });
      const path = `/sessions/${created.id}/notes`;

      // PATCH replaces the whole text
      const patched = await server.api('PATCH', path, { json: { notes: 'two' } });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.headers.etag, '"2"');
      assert.deepEqual(patched.body, { data: { id: created.id, notes: 'two' } });

      // null clears
      const nulled = await server.api('PUT', path, { json: { notes: null } });
      assert.equal(nulled.status, 200, nulled.text);
      assert.equal(nulled.headers.etag, '"3"');
      assert.deepEqual(nulled.body, { data: { id: created.id, notes: '' } });

      // "" clears (set some text first)
      const refilled = await server.api('PATCH', path, { json: { notes: 'three' } });
      assert.equal(refilled.headers.etag, '"4"');
      const emptied = await server.api('PATCH', path, { json: { notes: '' } });
      assert.equal(emptied.status, 200, emptied.text);
      assert.equal(emptied.headers.etag, '"5"');
      assert.deepEqual(emptied.body, { data: { id: created.id, notes: '' } });

      const stream = await streamOf(server, created.id);
      assert.deepEqual(
        stream.slice(1).map((event) => [event.type, event.data]),
        [
          ['SessionNotesReplaced', { notes: 'two' }],
          ['SessionNotesReplaced', { notes: '' }],
          ['SessionNotesReplaced', { notes: 'three' }],
          ['SessionNotesReplaced', { notes: '' }],
        ],
      );
    });

    it('accepts notes of exactly 20,000 characters', async () => {
      const created = await createSession(server);
      const notes = 'n'.repeat(20_000);

      const response = await server.api('PUT', `/sessions/${created.id}/notes`, { json: { notes } });

      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.data.notes.length, 20_000);
    });

    it('answers 200 with the current ETag and appends nothing when the notes do not change', async () => {
      const created = await createSession(server, { title: 'Quiet' });
      const before = headOf(server);

      for (const [method, notes] of [['PUT', null], ['PATCH', '']] as const) {
        const response = await server.api(method, `/sessions/${created.id}/notes`, { json: { notes } });
        assert.equal(response.status, 200, response.text);
        assert.equal(response.headers.etag, '"1"');
        assert.deepEqual(response.body, { data: { id: created.id, notes: '' } });
      }
      await assertNothingWritten(server, before, created.id, created);
    });

    it('GET /sessions/{id}/tags answers exactly {data: {id, tags}} with the ETag', async () => {
      const created = await createSession(server, { title: 'Tagged', tags: ['mix', 'vocals'] });

      const response = await server.api('GET', `/sessions/${created.id}/tags`);

      assert.equal(response.status, 200, response.text);
      assertJson(response);
      assert.equal(response.headers.etag, '"1"');
      assert.deepEqual(response.body, { data: { id: created.id, tags: ['mix', 'vocals'] } });
    });

    it('PUT tags replaces them, trimmed and de-duplicated case-insensitively (first spelling kept)', async () => {
      // Given a session with tags
      const created = await createSession(server, { title: 'Tagged', tags: ['old'] });
      const before = headOf(server);

      // When tags are PUT with white space and case duplicates
      const response = await server.api('PUT', `/sessions/${created.id}/tags`, { json: { tags: [' Mix ', 'mix', 'Vocals', 'VOCALS ', 'drums'] } });

      // Then the list is replaced by its normalised form
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers.etag, '"2"');
      assert.deepEqual(response.body, { data: { id: created.id, tags: ['Mix', 'Vocals', 'drums'] } });
      const events = await eventsAfter(server, before);
      assert.deepEqual(
        events.map((event) => [event.type, event.version, event.data]),
        [['SessionTagsReplaced', 2, { tags: ['Mix', 'Vocals', 'drums'] }]],
      );
      const read = await server.api('GET', `/sessions/${created.id}/tags`);
      assert.equal(read.headers.etag, '"2"');
      assert.deepEqual(read.body, response.body);
      assert.deepEqual((await getSession(server, created.id)).body.data.tags, ['Mix', 'Vocals', 'drums']);
    });

    it('PATCH tags replaces the whole list too (no merge), and [] clears it', async () => {
      const created = await createSession(server, { title: 'Tagged', tags: ['a', 'b'] });
      const path = `/sessions/${created.id}/tags`;

      const patched = await server.api('PATCH', path, { json: { tags: ['c'] } });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.headers.etag, '"2"');
      assert.deepEqual(patched.body, { data: { id: created.id, tags: ['c'] } });

      const cleared = await server.api('PUT', path, { json: { tags: [] } });
      assert.equal(cleared.status, 200, cleared.text);
      assert.equal(cleared.headers.etag, '"3"');
      assert.deepEqual(cleared.body, { data: { id: created.id, tags: [] } });
    });

    it('accepts a tag of exactly 48 characters (after trimming)', async () => {
      const created = await createSession(server);
      const tag = 't'.repeat(48);

      const response = await server.api('PUT', `/sessions/${created.id}/tags`, { json: { tags: [`  ${tag}  `] } });

      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body.data.tags, [tag]);
    });

    it('answers 200 with the current ETag and appends nothing when the tags do not change', async () => {
      const created = await createSession(server, { title: 'Quiet', tags: ['mix', 'vocals'] });
      const before = headOf(server);

      const response = await server.api('PATCH', `/sessions/${created.id}/tags`, { json: { tags: ['mix ', 'MIX', ' vocals'] } });

      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers.etag, '"1"');
      assert.deepEqual(response.body, { data: { id: created.id, tags: ['mix', 'vocals'] } });
      await assertNothingWritten(server, before, created.id, created);
    });

    it('GET /tags counts tags over live sessions, count desc then tag asc, and follows replacements and deletes', async () => {
      // Given three sessions
      const a = await createSession(server, { title: 'A', tags: ['mix', 'vocals'] });
      const b = await createSession(server, { title: 'B', tags: ['mix', 'drums'] });
      const c = await createSession(server, { title: 'C', tags: ['vocals', 'mix', 'bass'] });

      // Then the counts are ordered by count, then tag
      const initial = await server.api('GET', '/tags');
      assert.equal(initial.status, 200, initial.text);
      assertJson(initial);
      assert.deepEqual(initial.body, {
        data: [
          { tag: 'mix', count: 3 },
          { tag: 'vocals', count: 2 },
          { tag: 'bass', count: 1 },
          { tag: 'drums', count: 1 },
        ],
        meta: { total: 4, limit: 200, offset: 0 },
      });

      // When C is deleted, its tags drop out
      assert.equal((await server.api('DELETE', `/sessions/${c.id}`)).status, 200);
      assert.deepEqual((await server.api('GET', '/tags')).body, {
        data: [
          { tag: 'mix', count: 2 },
          { tag: 'drums', count: 1 },
          { tag: 'vocals', count: 1 },
        ],
        meta: { total: 3, limit: 200, offset: 0 },
      });

      // When B's tags are replaced and A's are cleared through PATCH
      assert.equal((await server.api('PUT', `/sessions/${b.id}/tags`, { json: { tags: ['zeta', 'alpha'] } })).status, 200);
      assert.equal((await server.api('PATCH', `/sessions/${a.id}`, { json: { tags: null } })).status, 200);
      assert.deepEqual((await server.api('GET', '/tags')).body, {
        data: [
          { tag: 'alpha', count: 1 },
          { tag: 'zeta', count: 1 },
        ],
        meta: { total: 2, limit: 200, offset: 0 },
      });
    });
  });

  describe('DELETE /sessions/{id}', () => {
    it('answers 200 {data: {deleted: true, id}}; afterwards every route on it is 404 and nothing more is written', async () => {
      // Given a session that was updated once
      const created = await createSession(server, { title: 'Doomed', tags: ['gone'], notes: 'bye' });
      assert.equal((await server.api('PATCH', `/sessions/${created.id}`, { json: { status: 'final' } })).status, 200);

      // When it is deleted
      const response = await server.api('DELETE', `/sessions/${created.id}`);

      // Then the answer is exactly the contract's
      assert.equal(response.status, 200, response.text);
      assertJson(response);
      assert.deepEqual(response.body, { data: { deleted: true, id: created.id } });
      const afterDelete = headOf(server);

      // And every route on it answers 404 session not found
      const attempts: Array<[string, string, HttpOptions]> = [
        ['GET', `/sessions/${created.id}`, {}],
        ['PATCH', `/sessions/${created.id}`, { json: { title: 'Back' } }],
        ['DELETE', `/sessions/${created.id}`, {}],
        ['DELETE', `/sessions/${created.id}`, { headers: { 'If-Match': '*' } }],
        ['GET', `/sessions/${created.id}/notes`, {}],
        ['PUT', `/sessions/${created.id}/notes`, { json: { notes: 'x' } }],
        ['PATCH', `/sessions/${created.id}/notes`, { json: { notes: 'x' } }],
        ['GET', `/sessions/${created.id}/tags`, {}],
        ['PUT', `/sessions/${created.id}/tags`, { json: { tags: ['x'] } }],
        ['PATCH', `/sessions/${created.id}/tags`, { json: { tags: ['x'] } }],
      ];
      for (const [method, path, options] of attempts) {
        const attempt = await server.api(method, path, options);
        assert.equal(attempt.status, 404, `${method} ${path}: ${attempt.status} ${attempt.text}`);
        assertError(attempt, 404, 'not_found', NOT_FOUND);
      }
      assert.equal(headOf(server), afterDelete, 'a write on a deleted session appended something');
    });

    it('removes it from the list and from /tags, but keeps its events in the log, ending with SessionDeleted', async () => {
      // Given two sessions
      const kept = await createSession(server, { title: 'Kept', tags: ['shared'] });
      const doomed = await createSession(server, { title: 'Doomed', tags: ['shared', 'only-doomed'] });
      assert.equal((await server.api('PUT', `/sessions/${doomed.id}/notes`, { json: { notes: 'last words' } })).status, 200);

      // When one is deleted
      assert.equal((await server.api('DELETE', `/sessions/${doomed.id}`)).status, 200);

      // Then the list holds only the other
      const list = await server.api('GET', '/sessions');
      assert.equal(list.body.meta.total, 1);
      assert.deepEqual(
        list.body.data.map((session: Json) => session.id),
        [kept.id],
      );
      assert.deepEqual((await server.api('GET', '/tags')).body, { data: [{ tag: 'shared', count: 1 }], meta: { total: 1, limit: 200, offset: 0 } });

      // And its history is still in the log
      const stream = await streamOf(server, doomed.id);
      assert.deepEqual(
        stream.map((event) => [event.type, event.version]),
        [
          ['SessionCreated', 1],
          ['SessionNotesReplaced', 2],
          ['SessionDeleted', 3],
        ],
      );
      assert.deepEqual(stream[2].data, {});
    });
  });

  describe('concurrency (If-Match, retries)', () => {
    it('applies 8 concurrent PATCHes of 8 different fields without If-Match: all 200, every change kept, version 9', async () => {
      // Given a session
      const created = await createSession(server, { title: 'Hot' });
      const changes: Json[] = [
        { title: 'Hot title' },
        { kind: 'Bitwig Studio' },
        { status: 'mixing' },
        { accent: '#00ff00' },
        { client: 'Concurrent Client' },
        { projectPath: '/music/hot/hot.bwproject' },
        { notes: 'notes written concurrently' },
        { tags: ['race', 'condition'] },
      ];

      // When they are all sent at once
      const responses = await Promise.all(changes.map((json) => server.api('PATCH', `/sessions/${created.id}`, { json })));

      // Then every one succeeded and the session holds all of them
      for (const response of responses) {
        assert.equal(response.status, 200, response.text);
        assert.equal(response.headers.etag, `"${response.body.data.version}"`);
      }
      const final = (await getSession(server, created.id)).body.data;
      assert.deepEqual(
        { ...final, createdAt: undefined, updatedAt: undefined },
        {
          ...created,
          ...Object.assign({}, ...changes),
          projectOriginalPath: '/music/hot/hot.bwproject',
          version: 1 + changes.length,
          createdAt: undefined,
          updatedAt: undefined,
        },
      );
    });

    it('applies 20 concurrent PATCHes without If-Match: all 200, one event each, version 21, no update lost', async () => {
      // Given a session
      const created = await createSession(server, { title: 'Very hot' });
      const before = headOf(server);
      const makers: Array<(index: number) => Json> = [
        (index) => ({ title: `Title ${index}` }),
        (index) => ({ status: `status-${index}` }),
        (index) => ({ accent: `accent-${index}` }),
        (index) => ({ client: `Client ${index}` }),
        (index) => ({ projectPath: `/music/p${index}/song.als` }),
        (index) => ({ notes: `Notes ${index}` }),
        (index) => ({ kind: `Kind ${index}` }),
        (index) => ({ tags: [`tag-${index}`] }),
      ];
      const bodies = Array.from({ length: 20 }, (_, index) => makers[index % makers.length](index));

      // When all 20 are sent at once
      const responses = await Promise.all(bodies.map((json) => server.api('PATCH', `/sessions/${created.id}`, { json })));

      // Then all succeeded
      assert.deepEqual(
        responses.map((response) => response.status),
        bodies.map(() => 200),
        responses.map((response) => response.text).join('\n'),
      );

      // And each request appended exactly one SessionUpdated holding its own change
      const events = await eventsAfter(server, before);
      assert.equal(events.length, 20);
      assert.deepEqual(
        events.map((event) => [event.type, event.version]),
        events.map((_, index) => ['SessionUpdated', index + 2]),
      );
      const written = events.map((event) => JSON.stringify(event.data)).sort();
      assert.deepEqual(written, bodies.map((body) => JSON.stringify(body)).sort());

      // And the final session holds, for every field, the last value written to it; version 1 + 20
      const expected: Json = { ...created };
      for (const event of events) Object.assign(expected, event.data);
      const firstPath = events.find((event) => 'projectPath' in event.data)!.data.projectPath;
      const final = (await getSession(server, created.id)).body.data;
      assert.equal(final.version, 21);
      assert.deepEqual(
        { ...final, updatedAt: undefined },
        { ...expected, projectOriginalPath: firstPath, version: 21, updatedAt: undefined },
      );
      assert.equal((await getSession(server, created.id)).headers.etag, '"21"');
    });

    it('lets exactly one of 20 concurrent PATCHes with the same If-Match: "1" win; 19 get 412 version_conflict', async () => {
      // Given a session at version 1
      const created = await createSession(server, { title: 'Contested' });
      const before = headOf(server);
      const titles = Array.from({ length: 20 }, (_, index) => `Contender ${index}`);

      // When 20 PATCHes pinned to version 1 race
      const responses = await Promise.all(
        titles.map((title) => server.api('PATCH', `/sessions/${created.id}`, { json: { title }, headers: { 'If-Match': '"1"' } })),
      );

      // Then one wins and the others are told the version changed
      const winners = responses.filter((response) => response.status === 200);
      const losers = responses.filter((response) => response.status !== 200);
      assert.equal(winners.length, 1, responses.map((response) => `${response.status} ${response.text}`).join('\n'));
      assert.equal(losers.length, 19);
      for (const loser of losers) assertError(loser, 412, 'version_conflict');
      assert.equal(winners[0].headers.etag, '"2"');

      // And exactly one event was written: the winner's
      const events = await eventsAfter(server, before);
      assert.equal(events.length, 1);
      assert.deepEqual(events[0].data, { title: winners[0].body.data.title });
      const final = (await getSession(server, created.id)).body.data;
      assert.equal(final.version, 2);
      assert.equal(final.title, winners[0].body.data.title);
    });

    it('PATCH with a stale If-Match: 412 and nothing written; with the current one: 200', async () => {
      const created = await createSession(server, { title: 'Pinned' });
      assert.equal((await server.api('PATCH', `/sessions/${created.id}`, { json: { status: 'review' } })).status, 200);
      const current = (await getSession(server, created.id)).body.data;
      const before = headOf(server);

      const stale = await server.api('PATCH', `/sessions/${created.id}`, { json: { title: 'Stale' }, headers: { 'If-Match': '"1"' } });
      assertError(stale, 412, 'version_conflict');
      await assertNothingWritten(server, before, created.id, current);

      // A stale If-Match fails even when the write would change nothing
      const staleNoOp = await server.api('PATCH', `/sessions/${created.id}`, { json: { title: 'Pinned' }, headers: { 'If-Match': '"1"' } });
      assertError(staleNoOp, 412, 'version_conflict');
      await assertNothingWritten(server, before, created.id, current);

      const fresh = await server.api('PATCH', `/sessions/${created.id}`, { json: { title: 'Fresh' }, headers: { 'If-Match': '"2"' } });
      assert.equal(fresh.status, 200, fresh.text);
      assert.equal(fresh.headers.etag, '"3"');
      assert.equal(fresh.body.data.title, 'Fresh');
    });

    it('PUT notes honours If-Match: stale 412 with nothing written, current 200', async () => {
      const created = await createSession(server, { title: 'Pinned notes', notes: 'v1' });
      assert.equal((await server.api('PUT', `/sessions/${created.id}/notes`, { json: { notes: 'v2' } })).status, 200);
      const current = (await getSession(server, created.id)).body.data;
      const before = headOf(server);

      const stale = await server.api('PUT', `/sessions/${created.id}/notes`, { json: { notes: 'stale' }, headers: { 'If-Match': '"1"' } });
      assertError(stale, 412, 'version_conflict');
      await assertNothingWritten(server, before, created.id, current);

      const fresh = await server.api('PUT', `/sessions/${created.id}/notes`, { json: { notes: 'v3' }, headers: { 'If-Match': '"2"' } });
      assert.equal(fresh.status, 200, fresh.text);
      assert.equal(fresh.headers.etag, '"3"');
      assert.deepEqual(fresh.body, { data: { id: created.id, notes: 'v3' } });
    });

    it('PUT tags honours If-Match: stale 412 with nothing written, current 200', async () => {
      const created = await createSession(server, { title: 'Pinned tags', tags: ['one'] });
      assert.equal((await server.api('PUT', `/sessions/${created.id}/tags`, { json: { tags: ['two'] } })).status, 200);
      const current = (await getSession(server, created.id)).body.data;
      const before = headOf(server);

      const stale = await server.api('PUT', `/sessions/${created.id}/tags`, { json: { tags: ['stale'] }, headers: { 'If-Match': '"1"' } });
      assertError(stale, 412, 'version_conflict');
      await assertNothingWritten(server, before, created.id, current);

      const fresh = await server.api('PUT', `/sessions/${created.id}/tags`, { json: { tags: ['three'] }, headers: { 'If-Match': '"2"' } });
      assert.equal(fresh.status, 200, fresh.text);
      assert.equal(fresh.headers.etag, '"3"');
      assert.deepEqual(fresh.body, { data: { id: created.id, tags: ['three'] } });
    });

    it('DELETE honours If-Match: stale 412 with nothing written, current 200', async () => {
      const created = await createSession(server, { title: 'Pinned delete' });
      assert.equal((await server.api('PATCH', `/sessions/${created.id}`, { json: { title: 'Pinned delete v2' } })).status, 200);
      const current = (await getSession(server, created.id)).body.data;
      const before = headOf(server);

      const stale = await server.api('DELETE', `/sessions/${created.id}`, { headers: { 'If-Match': '"1"' } });
      assertError(stale, 412, 'version_conflict');
      await assertNothingWritten(server, before, created.id, current);

      const fresh = await server.api('DELETE', `/sessions/${created.id}`, { headers: { 'If-Match': '"2"' } });
      assert.equal(fresh.status, 200, fresh.text);
      assert.deepEqual(fresh.body, { data: { deleted: true, id: created.id } });
      assertError(await getSession(server, created.id), 404, 'not_found', NOT_FOUND);
    });

    it('accepts If-Match: * on an existing session for PATCH, PUT notes, PUT tags and DELETE', async () => {
      const created = await createSession(server, { title: 'Anything goes' });
      const star = { 'If-Match': '*' };

      const patched = await server.api('PATCH', `/sessions/${created.id}`, { json: { title: 'Starred' }, headers: star });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.headers.etag, '"2"');
      const notes = await server.api('PUT', `/sessions/${created.id}/notes`, { json: { notes: 'starred' }, headers: star });
      assert.equal(notes.status, 200, notes.text);
      assert.equal(notes.headers.etag, '"3"');
      const tags = await server.api('PUT', `/sessions/${created.id}/tags`, { json: { tags: ['star'] }, headers: star });
      assert.equal(tags.status, 200, tags.text);
      assert.equal(tags.headers.etag, '"4"');
      const deleted = await server.api('DELETE', `/sessions/${created.id}`, { headers: star });
      assert.equal(deleted.status, 200, deleted.text);
      assert.deepEqual(deleted.body, { data: { deleted: true, id: created.id } });
    });

    it('accepts the If-Match forms W/"n", bare n and comma lists; a list with no matching tag gets 412', async () => {
      const created = await createSession(server, { title: 'Forms' });
      const patch = (title: string, ifMatch: string) => server.api('PATCH', `/sessions/${created.id}`, { json: { title }, headers: { 'If-Match': ifMatch } });

      const weak = await patch('Weak', 'W/"1"');
      assert.equal(weak.status, 200, weak.text);
      const bare = await patch('Bare', '2');
      assert.equal(bare.status, 200, bare.text);
      const list = await patch('Listed', '"7", W/"9", "3"');
      assert.equal(list.status, 200, list.text);
      assert.equal(list.headers.etag, '"4"');

      const before = headOf(server);
      assertError(await patch('Nope', '"1", "2", "3"'), 412, 'version_conflict');
      assertError(await patch('Nope', '"abc"'), 412, 'version_conflict');
      assert.equal(headOf(server), before);
    });
  });

  describe('refusals: unknown session, read-only mode, invalid bodies', () => {
    for (const route of sessionWriteRoutes) {
      it(`${route.name} answers 404 not_found for an unknown session and writes nothing`, async () => {
        await createSession(server, { title: 'Someone else' });
        const before = headOf(server);

        const response = await server.api(route.method, route.path(UNKNOWN_ID), route.options);

        assertError(response, 404, 'not_found', NOT_FOUND);
        assert.equal(headOf(server), before);
      });
    }

    it('refuses every write with 403 read_only in read-only mode and writes nothing', async () => {
      // Given a session written by a full-automation server
      const dataDir = newDataDir();
      const seeder = track(await startTestServer({}, { dataDir }));
      const seeded = await createSession(seeder, { title: 'Seeded', tags: ['demo'], notes: 'seed' });
      await seeder.stop();

      // When the server restarts read-only on the same data directory
      const readOnly = track(await startTestServer({ mode: 'read-only' }, { dataDir }));
      const before = headOf(readOnly);
      const snapshot = await getSession(readOnly, seeded.id);
      assert.equal(snapshot.status, 200, snapshot.text);
      assert.deepEqual({ ...snapshot.body.data, previewUrl: undefined }, { ...seeded, previewUrl: undefined });
      const attempts: Array<[string, string, HttpOptions]> = [
        ...sessionWriteRoutes.map((route): [string, string, HttpOptions] => [route.method, route.path(seeded.id), route.options]),
        ...sessionWriteRoutes.map((route): [string, string, HttpOptions] => [route.method, route.path(UNKNOWN_ID), route.options]),
        ['POST', '/sessions', { json: { title: 'Not allowed' } }],
        ['POST', '/sessions', { json: { title: 'Not allowed' }, headers: { 'Idempotency-Key': 'read-only-key' } }],
      ];

      // Then every write is refused
      for (const [method, path, options] of attempts) {
        const response = await readOnly.api(method, path, options);
        assert.equal(response.status, 403, `${method} ${path}: ${response.status} ${response.text}`);
        assertError(response, 403, 'read_only', READ_ONLY);
      }
      await assertNothingWritten(readOnly, before, seeded.id, snapshot.body.data);
    });

    const tooLongNotes = 'x'.repeat(20_001);
    const tag49 = 'y'.repeat(49);
    const invalidBodies: Array<{ route: string; method: string; path: (id: string) => string; body: unknown; field: string; message?: RegExp }> = [
      { route: 'PATCH /sessions/{id}', method: 'PATCH', path: (id) => `/sessions/${id}`, body: { notes: tooLongNotes }, field: 'notes' },
      { route: 'PATCH /sessions/{id}', method: 'PATCH', path: (id) => `/sessions/${id}`, body: { tags: 'mix' }, field: 'tags' },
      { route: 'PATCH /sessions/{id}', method: 'PATCH', path: (id) => `/sessions/${id}`, body: { tags: ['ok', tag49] }, field: 'tags[1]' },
      { route: 'PATCH /sessions/{id}', method: 'PATCH', path: (id) => `/sessions/${id}`, body: { status: 'Not A Slug!' }, field: 'status', message: /slug/ },
      { route: 'PATCH /sessions/{id}', method: 'PATCH', path: (id) => `/sessions/${id}`, body: { colour: 'red' }, field: 'colour', message: /not a known field/ },
      { route: 'PATCH /sessions/{id}', method: 'PATCH', path: (id) => `/sessions/${id}`, body: { title: '   ' }, field: 'title' },
      { route: 'PATCH /sessions/{id}', method: 'PATCH', path: (id) => `/sessions/${id}`, body: { accent: 'Bright Red!' }, field: 'accent' },
      { route: 'PATCH /sessions/{id}', method: 'PATCH', path: (id) => `/sessions/${id}`, body: { projectPath: 'relative/song.als' }, field: 'projectPath' },
      { route: 'PATCH /sessions/{id}', method: 'PATCH', path: (id) => `/sessions/${id}`, body: { client: 'c'.repeat(201) }, field: 'client' },
      { route: 'PATCH /sessions/{id}', method: 'PATCH', path: (id) => `/sessions/${id}`, body: ['title'], field: '' },
      { route: 'PUT /sessions/{id}/notes', method: 'PUT', path: (id) => `/sessions/${id}/notes`, body: { notes: tooLongNotes }, field: 'notes' },
      { route: 'PUT /sessions/{id}/notes', method: 'PUT', path: (id) => `/sessions/${id}/notes`, body: { notes: 42 }, field: 'notes' },
      { route: 'PUT /sessions/{id}/notes', method: 'PUT', path: (id) => `/sessions/${id}/notes`, body: {}, field: 'notes', message: /required/ },
      { route: 'PATCH /sessions/{id}/notes', method: 'PATCH', path: (id) => `/sessions/${id}/notes`, body: { notes: 'ok', extra: 1 }, field: 'extra', message: /not a known field/ },
      { route: 'PATCH /sessions/{id}/notes', method: 'PATCH', path: (id) => `/sessions/${id}/notes`, body: { notes: tooLongNotes }, field: 'notes' },
      { route: 'PUT /sessions/{id}/tags', method: 'PUT', path: (id) => `/sessions/${id}/tags`, body: { tags: 'mix' }, field: 'tags', message: /^tags must be a list\.$/ },
      { route: 'PUT /sessions/{id}/tags', method: 'PUT', path: (id) => `/sessions/${id}/tags`, body: { tags: [tag49] }, field: 'tags[0]' },
      { route: 'PUT /sessions/{id}/tags', method: 'PUT', path: (id) => `/sessions/${id}/tags`, body: { tags: ['  '] }, field: 'tags[0]' },
      { route: 'PUT /sessions/{id}/tags', method: 'PUT', path: (id) => `/sessions/${id}/tags`, body: { tags: null }, field: 'tags' },
      { route: 'PUT /sessions/{id}/tags', method: 'PUT', path: (id) => `/sessions/${id}/tags`, body: { tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }, field: 'tags' },
      { route: 'PATCH /sessions/{id}/tags', method: 'PATCH', path: (id) => `/sessions/${id}/tags`, body: { tags: ['ok'], notes: 'no' }, field: 'notes', message: /not a known field/ },
      { route: 'PATCH /sessions/{id}/tags', method: 'PATCH', path: (id) => `/sessions/${id}/tags`, body: { tags: [7] }, field: 'tags[0]' },
    ];
    for (const { route, method, path, body, field, message } of invalidBodies) {
      it(`${route} refuses ${JSON.stringify(body).slice(0, 60)} with 400 invalid_request${field ? ` naming ${field}` : ''}, writing nothing`, async () => {
        // Given a session
        const created = await createSession(server, { title: 'Valid', tags: ['keep'], notes: 'keep' });
        const before = headOf(server);

        // When an invalid body is sent
        const response = await server.api(method, path(created.id), { json: body });

        // Then it is refused, naming the field, and nothing is written
        assertError(response, 400, 'invalid_request', field ? new RegExp(`^${field.replace(/[[\]]/g, '\\$&')} `) : /^Request body /);
        if (message) assert.match(response.body.error.message, message);
        const pointer = field === '' ? '' : `/${field.replace(/\[(\d+)\]/g, '/$1')}`;
        assert.ok(
          response.body.error.details.some((detail: Json) => detail.field === pointer),
          `details do not name ${pointer}: ${response.text}`,
        );
        await assertNothingWritten(server, before, created.id, created);
      });
    }

    it('POST /sessions refuses invalid bodies with 400 invalid_request and writes nothing', async () => {
      const before = headOf(server);
      const bodies: Array<[Json, RegExp]> = [
        [{ title: 'x', status: 'Not A Slug!' }, /^status\b/],
        [{ title: 'x', notes: tooLongNotes }, /^notes\b/],
        [{ title: 'x', tags: [tag49] }, /^tags\[0\]/],
        [{ title: 'x', colour: 'red' }, /^colour is not a known field/],
        [{ title: 'x', version: 3 }, /^version is read-only/],
        [{ kind: 'Ableton' }, /^title is required/],
      ];
      for (const [json, message] of bodies) {
        assertError(await server.api('POST', '/sessions', { json }), 400, 'invalid_request', message);
      }
      assert.equal(headOf(server), before);
      assert.equal((await server.api('GET', '/sessions')).body.meta.total, 0);
    });
  });

  describe('idempotent POST /sessions', () => {
    const body = { title: 'Idempotent', kind: 'Ableton', tags: ['once'], client: 'Ana', projectPath: '/music/once.als' };
    const reordered = { projectPath: '/music/once.als', client: 'Ana', tags: ['once'], kind: 'Ableton', title: 'Idempotent' };

    it('replays the first response for the same key and a JSON-equal body (other key order), writing nothing', async () => {
      // Given a session created under a key
      const headers = { 'Idempotency-Key': 'create-once-1' };
      const first = await server.api('POST', '/sessions', { json: body, headers });
      assert.equal(first.status, 201, first.text);
      assert.equal(first.headers['idempotent-replayed'], undefined);
      const afterFirst = headOf(server);

      // When the same request is retried, keys in another order
      const retry = await server.api('POST', '/sessions', { json: reordered, headers });

      // Then the first response comes back, marked as replayed, and nothing is written
      assert.equal(retry.status, 201, retry.text);
      assert.equal(retry.headers['idempotent-replayed'], 'true');
      assert.deepEqual(retry.body, first.body);
      assert.equal(retry.headers.location, first.headers.location);
      assert.equal(retry.headers.etag, first.headers.etag);
      assert.equal(headOf(server), afterFirst);
      assert.equal((await server.api('GET', '/sessions')).body.meta.total, 1);
    });

    it('stores the key in meta.idempotencyKey of the events written under it (and not on others)', async () => {
      const keyed = await server.api('POST', '/sessions', { json: body, headers: { 'Idempotency-Key': 'meta-key-42' } });
      const plain = await server.api('POST', '/sessions', { json: { title: 'No key' } });
      assert.equal(keyed.status, 201, keyed.text);
      assert.equal(plain.status, 201, plain.text);

      const events = await readAllEvents(server);
      const keyedEvents = events.filter((event) => event.streamId === keyed.body.data.id);
      const plainEvents = events.filter((event) => event.streamId === plain.body.data.id);
      assert.deepEqual(
        keyedEvents.map((event) => [event.type, event.meta.idempotencyKey]),
        [['SessionCreated', 'meta-key-42']],
      );
      assert.deepEqual(
        plainEvents.map((event) => [event.type, event.meta.idempotencyKey]),
        [['SessionCreated', undefined]],
      );
    });

    it('answers 422 idempotency_key_reused for the same key with a different body, writing nothing', async () => {
      const headers = { 'Idempotency-Key': 'reused-key' };
      const first = await server.api('POST', '/sessions', { json: body, headers });
      assert.equal(first.status, 201, first.text);
      const before = headOf(server);

      const other = await server.api('POST', '/sessions', { json: { ...body, title: 'Another title' }, headers });

      assertError(other, 422, 'idempotency_key_reused');
      assert.equal(other.headers['idempotent-replayed'], undefined);
      assert.equal(headOf(server), before);
      assert.equal((await server.api('GET', '/sessions')).body.meta.total, 1);
    });

    it('replays the FIRST response body (version 1) even after the session was PATCHed', async () => {
      // Given a session created under a key, then changed
      const headers = { 'Idempotency-Key': 'replay-after-patch' };
      const first = await server.api('POST', '/sessions', { json: body, headers });
      assert.equal(first.status, 201, first.text);
      const patched = await server.api('PATCH', `/sessions/${first.body.data.id}`, { json: { title: 'Changed since' } });
      assert.equal(patched.status, 200, patched.text);
      const before = headOf(server);

      // When the create is retried
      const retry = await server.api('POST', '/sessions', { json: body, headers });

      // Then the first body comes back as it was
      assert.equal(retry.status, 201, retry.text);
      assert.equal(retry.headers['idempotent-replayed'], 'true');
      assert.deepEqual(retry.body, first.body);
      assert.equal(retry.body.data.version, 1);
      assert.equal(retry.body.data.title, 'Idempotent');
      assert.equal(retry.headers.etag, '"1"');
      assert.equal(headOf(server), before);
      assert.equal((await getSession(server, first.body.data.id)).body.data.version, 2);
    });

    it('writes once for 5 concurrent requests with the same new key and body: five identical 201 bodies', async () => {
      const before = headOf(server);
      const headers = { 'Idempotency-Key': 'concurrent-key' };

      const responses = await Promise.all(Array.from({ length: 5 }, () => server.api('POST', '/sessions', { json: body, headers })));

      for (const response of responses) assert.equal(response.status, 201, response.text);
      for (const response of responses.slice(1)) assert.deepEqual(response.body, responses[0].body);
      assert.equal(responses.filter((response) => response.headers['idempotent-replayed'] === 'true').length, 4);
      const events = await eventsAfter(server, before);
      assert.deepEqual(
        events.map((event) => [event.type, event.streamId, event.meta.idempotencyKey]),
        [['SessionCreated', responses[0].body.data.id, 'concurrent-key']],
      );
      assert.equal((await server.api('GET', '/sessions')).body.meta.total, 1);
    });

    it('replays a retried create after a restart on the same data directory instead of duplicating it', async () => {
      // Given a session created under a key by a server that then stops
      const dataDir = newDataDir();
      const firstServer = track(await startTestServer({}, { dataDir }));
      const headers = { 'Idempotency-Key': 'survives-restart' };
      const first = await firstServer.api('POST', '/sessions', { json: body, headers });
      assert.equal(first.status, 201, first.text);
      await firstServer.stop();

      // When the create is retried against a restarted server
      // (on the same port, so the URLs in the body are the same too)
      const restarted = track(await startTestServer({ port: firstServer.server.port }, { dataDir }));
      const before = headOf(restarted);
      const retry = await restarted.api('POST', '/sessions', { json: reordered, headers });

      // Then it is replayed, not written again
      assert.equal(retry.status, 201, retry.text);
      assert.equal(retry.headers['idempotent-replayed'], 'true');
      assert.equal(restarted.baseUrl, firstServer.baseUrl);
      assert.deepEqual(retry.body, first.body);
      assert.equal(retry.headers.location, first.headers.location);
      assert.equal(retry.headers.etag, '"1"');
      assert.equal(headOf(restarted), before);
      assert.equal((await restarted.api('GET', '/sessions')).body.meta.total, 1);

      // And a different body under that key is still refused
      assertError(await restarted.api('POST', '/sessions', { json: { title: 'Other' }, headers }), 422, 'idempotency_key_reused');
    });

    it('refuses a malformed Idempotency-Key with 400 invalid_request and writes nothing', async () => {
      const before = headOf(server);

      for (const key of ['k'.repeat(256), 'k'.repeat(300), 'has a space']) {
        const response = await server.api('POST', '/sessions', { json: body, headers: { 'Idempotency-Key': key } });
        assertError(response, 400, 'invalid_request', /Idempotency-Key/);
      }

      assert.equal(headOf(server), before);
      assert.equal((await server.api('GET', '/sessions')).body.meta.total, 0);
    });

    it('does not spend a key on a request refused for its body: the valid retry under it is written', async () => {
      const headers = { 'Idempotency-Key': 'first-try-was-invalid' };
      const invalid = await server.api('POST', '/sessions', { json: { ...body, status: 'Not A Slug!' }, headers });
      assertError(invalid, 400, 'invalid_request', /^status /);
      const before = headOf(server);

      const valid = await server.api('POST', '/sessions', { json: body, headers });

      assert.equal(valid.status, 201, valid.text);
      assert.equal(valid.headers['idempotent-replayed'], undefined);
      assert.equal(headOf(server), before + 1);
    });

    it('accepts a key of 255 visible ASCII characters', async () => {
      const key = `${'k'.repeat(250)}!~#$%`;
      const first = await server.api('POST', '/sessions', { json: body, headers: { 'Idempotency-Key': key } });
      const retry = await server.api('POST', '/sessions', { json: body, headers: { 'Idempotency-Key': key } });

      assert.equal(first.status, 201, first.text);
      assert.equal(retry.status, 201, retry.text);
      assert.equal(retry.headers['idempotent-replayed'], 'true');
      assert.deepEqual(retry.body, first.body);
    });
  });
});
