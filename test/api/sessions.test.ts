import assert from 'node:assert/strict';
import { createReadModels } from '../../projections/read-models';
import { readAllEvents, startTestServer, type TestServer } from '../helpers/server';
import { shownInWholeSeconds } from '../helpers/catalogue';

const docsExample = { title: 'New idea', kind: 'Ableton', status: 'draft', tags: ['ideas', 'writing'] };

/** Every read model's name: /health reports each. */
const PROJECTIONS = createReadModels().all.map((projection) => projection.name);

describe('sessions over HTTP (contract §5.1-§5.3, §9)', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startTestServer();
  });

  afterEach(async () => {
    await server.dispose();
  });

  it('answers GET /health with the fields of §9', async () => {
    const response = await server.api('GET', '/health');
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /^application\/json; charset=utf-8/);
    const health = response.body.data;
    assert.equal(health.status, 'ok');
    assert.equal(health.configuredMode, 'full-automation');
    assert.equal(health.effectiveMode, 'full-automation');
    assert.equal(health.running, true);
    assert.equal(health.port, server.server.port);
    assert.equal(health.baseUrl, server.baseUrl);
    assert.equal(health.docsUrl, `${server.origin}/docs`);
    assert.equal(typeof health.requestCount, 'number');
    assert.ok(Array.isArray(health.recentRequests));
    assert.equal(health.lastError, undefined);
    assert.match(health.version, /^\d+\.\d+\.\d+/);
    assert.deepEqual(health.log, { position: 0, sessions: 0 });
    assert.deepEqual(health.projections, Object.fromEntries(PROJECTIONS.map((name) => [name, { position: 0, lag: 0 }])));
  });

  it('keeps the last 20 requests and counts them all in /health', async () => {
    for (let index = 0; index < 22; index += 1) await server.api('GET', `/sessions?offset=${index}`);
    await server.api('GET', '/sessions/session_missing');
    const health = (await server.api('GET', '/health')).body.data;
    assert.equal(health.requestCount, 23);
    assert.equal(health.recentRequests.length, 20);
    const last = health.recentRequests[19];
    assert.deepEqual({ method: last.method, path: last.path, statusCode: last.statusCode }, { method: 'GET', path: '/api/v1/sessions/session_missing', statusCode: 404 });
    assert.ok(!Number.isNaN(Date.parse(last.at)));
  });

  it('creates the docs example: 201 with Location, ETag and the session of §5.1', async () => {
    const response = await server.api('POST', '/sessions', { json: docsExample });
    assert.equal(response.status, 201);
    const session = response.body.data;
    assert.match(session.id, /^session_[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.equal(response.headers.location, `/api/v1/sessions/${session.id}`);
    assert.equal(response.headers.etag, '"1"');
    assert.deepEqual(
      { ...session, id: undefined, createdAt: undefined, updatedAt: undefined },
      {
        id: undefined,
        title: 'New idea',
        kind: 'Ableton',
        status: 'draft',
        accent: 'default',
        tags: ['ideas', 'writing'],
        notes: '',
        client: null,
        projectPath: null,
        projectOriginalPath: null,
        lastOpened: null,
        previewStatus: 'none',
        previewUrl: `${server.baseUrl}/sessions/${session.id}/preview`,
        previewAudioUrl: null,
        previewAudioMime: null,
        preferredPreviewId: null,
        previews: [],
        createdAt: undefined,
        updatedAt: undefined,
        version: 1,
      },
    );
    assert.equal(session.createdAt, session.updatedAt);
    assert.ok(Math.abs(Date.parse(session.createdAt) - Date.now()) < 60_000);
  });

  it('applies the defaults and normalisation of §5.1', async () => {
    const response = await server.api('POST', '/sessions', {
      json: {
        title: '  Night drive  ',
        tags: [' Mix ', 'mix', 'MIX', 'vocals'],
        projectPath: '/Users/ana/Music/Night Drive.LOGICX',
        client: 'Ana',
        accent: '#A1b2C3',
        notes: 'bridge needs work',
      },
    });
    assert.equal(response.status, 201);
    const session = response.body.data;
    assert.equal(session.title, 'Night drive');
    assert.deepEqual(session.tags, ['Mix', 'vocals']);
    assert.equal(session.kind, 'Logic Pro');
    assert.equal(session.status, 'draft');
    assert.equal(session.accent, '#A1b2C3');
    assert.equal(session.projectOriginalPath, '/Users/ana/Music/Night Drive.LOGICX');
    assert.equal(session.client, 'Ana');
    assert.equal(session.notes, 'bridge needs work');
  });

  it('detects the kind from a Windows path and falls back to Other', async () => {
    const flp = await server.api('POST', '/sessions', { json: { title: 'Beat', projectPath: 'C:\\Beats\\beat 4.flp' } });
    const none = await server.api('POST', '/sessions', { json: { title: 'Idea' } });
    const unknown = await server.api('POST', '/sessions', { json: { title: 'Doc', projectPath: '/x/readme.txt' } });
    assert.deepEqual([flp.body.data.kind, none.body.data.kind, unknown.body.data.kind], ['FL Studio', 'Other', 'Other']);
  });

  it('gets a created session with its ETag, identical to the create response', async () => {
    const created = await server.api('POST', '/sessions', { json: docsExample });
    const fetched = await server.api('GET', `/sessions/${created.body.data.id}`);
    assert.equal(fetched.status, 200);
    assert.equal(fetched.headers.etag, '"1"');
    assert.deepEqual(fetched.body, created.body);
  });

  it('answers 404 not_found / "session not found" for an unknown id', async () => {
    const response = await server.api('GET', '/sessions/session_01ARZ3NDEKTSV4RRFFQ69G5FAV');
    assert.equal(response.status, 404);
    assert.deepEqual(response.body, { error: { status: 404, code: 'not_found', message: 'session not found' } });
  });

  it('lists sessions newest-updated first with limit, offset and meta', async () => {
    const created: Array<{ id: string; updatedAt: string }> = [];
    for (let index = 0; index < 5; index += 1) {
      created.push((await server.api('POST', '/sessions', { json: { title: `Song ${index}` } })).body.data);
    }
    // Never opened: newest updatedAt first; sessions created in the same second by id.
    const ids = created
      .sort((a, b) => (a.updatedAt === b.updatedAt ? (a.id < b.id ? -1 : 1) : a.updatedAt < b.updatedAt ? 1 : -1))
      .map((session) => session.id);
    const all = await server.api('GET', '/sessions');
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.meta, { total: 5, limit: 50, offset: 0 });
    assert.deepEqual(
      all.body.data.map((session: { id: string }) => session.id),
      ids,
    );
    const page = await server.api('GET', '/sessions?limit=2&offset=1');
    assert.deepEqual(page.body.meta, { total: 5, limit: 2, offset: 1 });
    assert.deepEqual(
      page.body.data.map((session: { id: string }) => session.id),
      ids.slice(1, 3),
    );
    const beyond = await server.api('GET', '/sessions?offset=10');
    assert.deepEqual(beyond.body, { data: [], meta: { total: 5, limit: 50, offset: 10 } });
  });

  it('reads its own writes under concurrency: every 201 is immediately readable', async () => {
    const created = await Promise.all(Array.from({ length: 40 }, (_, index) => server.api('POST', '/sessions', { json: { title: `Take ${index}` } })));
    assert.ok(created.every((response) => response.status === 201));
    const fetched = await Promise.all(created.map((response) => server.api('GET', `/sessions/${response.body.data.id}`)));
    assert.ok(fetched.every((response) => response.status === 200));
    const health = (await server.api('GET', '/health')).body.data;
    assert.deepEqual(health.log, { position: 40, sessions: 40 });
    assert.deepEqual(health.projections.sessions, { position: 40, lag: 0 });
  });

  it('stores one hash-chained SessionCreated event per create, with the request id and the actor', async () => {
    const response = await server.api('POST', '/sessions', { json: docsExample, headers: { 'X-Request-Id': 'req-42' } });
    const events = await readAllEvents(server);
    assert.equal(events.length, 1);
    const [event] = events;
    assert.equal(event.type, 'SessionCreated');
    assert.equal(event.streamId, response.body.data.id);
    assert.equal(event.position, 1);
    assert.equal(event.version, 1);
    assert.equal(event.schemaVersion, 2);
    assert.equal(event.meta.requestId, 'req-42');
    // The log keeps milliseconds; the resource shows the same instant in whole seconds.
    assert.match(event.meta.at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.equal(shownInWholeSeconds(event.meta.at), response.body.data.createdAt);
    assert.match(event.meta.actor, /^token:[0-9a-f]{12}$/);
    assert.match(event.hash, /^[0-9a-f]{64}$/);
  });
});
