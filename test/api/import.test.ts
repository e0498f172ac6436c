import assert from 'node:assert/strict';
import { newSessionData } from '../../src/commands/create-session';
import { importedSessionId, newImportId } from '../../src/ids';
import { assertError } from '../helpers/assertions';
import { eventually } from '../helpers/eventually';
import type { HttpResponse } from '../helpers/http';
import { minutesAgo, tempProjects, type ProjectTree } from '../helpers/projects';
import { newDataDir, readAllEvents, startTestServer, type TestServer } from '../helpers/server';

/*
 * Batch import over HTTP (contract §7, with §4's envelopes and limits, §3's modes and §10's
 * Idempotency-Key): POST /import answers 202 at once and works in the background; GET
 * /import/{id} shows the counters and every item's outcome; sessions are created with the
 * defaults §7 gives (title, kind, previews), an existing project path is skipped, a missing one
 * fails with its reason; an import a stop interrupted resumes at the next start.
 */

type Json = Record<string, any>;

const IMPORT_ID = /^import_[0-9A-HJKMNP-TV-Z]{26}$/;
const SESSION_ID = /^session_[0-9A-HJKMNP-TV-Z]{26}$/;
const SUMMARY_KEYS = ['completed', 'done', 'durationMs', 'failed', 'importId', 'skipped', 'total'];
const READ_ONLY = 'Enable Full Automation to perform this action.';
/** Imports here are small; a loaded two-core machine still finishes them well within this. */
const IMPORT_DEADLINE_MS = 20_000;

const headOf = (server: TestServer) => server.server.store.head().position;
const postImport = (server: TestServer, body: unknown, headers?: Record<string, string>) => server.api('POST', '/import', { json: body, headers });

/** POST /import, expecting 202: the summary it answers. */
async function startImport(server: TestServer, body: unknown): Promise<Json> {
  const response = await postImport(server, body);
  assert.equal(response.status, 202, response.text);
  return response.body.data;
}

async function statusOf(server: TestServer, importId: string): Promise<Json> {
  const response = await server.api('GET', `/import/${importId}`);
  assert.equal(response.status, 200, response.text);
  return response.body.data;
}

/** Polls GET /import/{id} until the import is done. */
const finished = (server: TestServer, importId: string) =>
  eventually(() => statusOf(server, importId), (status) => status.done === true, `import ${importId} done`, IMPORT_DEADLINE_MS);

/** POST /import and wait until it is done: its final status. */
async function importAll(server: TestServer, body: unknown): Promise<Json> {
  return finished(server, (await startImport(server, body)).importId);
}

/** Every live session, page by page. */
async function allSessions(server: TestServer): Promise<Json[]> {
  const sessions: Json[] = [];
  for (let offset = 0; ; offset += 500) {
    const response = await server.api('GET', `/sessions?limit=500&offset=${offset}`);
    assert.equal(response.status, 200, response.text);
    sessions.push(...response.body.data);
    if (sessions.length >= response.body.meta.total) return sessions;
  }
}

async function sessionOf(server: TestServer, id: string): Promise<Json> {
  const response = await server.api('GET', `/sessions/${id}`);
  assert.equal(response.status, 200, response.text);
  return response.body.data;
}

const eventsOfType = async (server: TestServer, type: string) => (await readAllEvents(server)).filter((event) => event.type === type);

/** The outcome of each item processed, in index order. */
const outcomes = (status: Json) => status.items.map((item: Json) => item.outcome);

describe('API: batch import (contract §7)', () => {
  const servers: TestServer[] = [];
  const track = (server: TestServer) => (servers.push(server), server);
  let server: TestServer;
  let tree: ProjectTree;

  beforeEach(async () => {
    tree = tempProjects();
    server = track(await startTestServer());
  });

  afterEach(async () => {
    // Newest first: a later server may share an earlier one's data directory.
    while (servers.length > 0) await servers.pop()!.dispose();
    tree.cleanup();
  });

  describe('POST /import and GET /import/{id}', () => {
    it('given the §7 body with two project folders and a missing one, then 202 at once, then done with 2 created and 1 failed, and the sessions listed', async () => {
      // Given two real project folders (one an Ableton project) and a path that does not exist
      const songA = tree.folder('Song A');
      tree.file('Song A/Song A.als', 'als');
      const mixB = tree.folder('Mix B');
      const missing = tree.path('Gone Project');

      // When they are imported with the body of §7
      const response = await postImport(server, {
        generatePreviews: false,
        items: [{ projectPath: songA }, { projectPath: mixB, title: 'Mix B (client cut)' }, { projectPath: missing }],
      });

      // Then 202 at once, with the counters at zero and the status route in Location
      assert.equal(response.status, 202, response.text);
      assert.match(String(response.headers['content-type']), /^application\/json;\s*charset=utf-8$/i);
      assert.deepEqual(Object.keys(response.body), ['data']);
      const accepted = response.body.data;
      assert.deepEqual(Object.keys(accepted).sort(), SUMMARY_KEYS);
      assert.match(accepted.importId, IMPORT_ID);
      assert.deepEqual({ ...accepted, durationMs: 0 }, { importId: accepted.importId, total: 3, completed: 0, failed: 0, skipped: 0, done: false, durationMs: 0 });
      assert.ok(Number.isInteger(accepted.durationMs) && accepted.durationMs >= 0);
      assert.equal(response.headers.location, `/api/v1/import/${accepted.importId}`);

      // And polling the status route reaches done, with every item's outcome
      const status = await finished(server, accepted.importId);
      assert.deepEqual(Object.keys(status).sort(), [...SUMMARY_KEYS, 'items'].sort());
      assert.deepEqual(
        { total: status.total, completed: status.completed, failed: status.failed, skipped: status.skipped, done: status.done },
        { total: 3, completed: 2, failed: 1, skipped: 0, done: true },
      );
      assert.ok(Number.isInteger(status.durationMs) && status.durationMs >= 0);
      assert.deepEqual(status.items.map((item: Json) => [item.index, item.projectPath, item.outcome]), [
        [0, songA, 'created'],
        [1, mixB, 'created'],
        [2, missing, 'failed'],
      ]);
      assert.equal(status.items[2].reason, 'projectPath cannot be used: it must be an absolute path to a readable folder or file');
      assert.equal(status.items[2].sessionId, undefined);
      for (const item of status.items.slice(0, 2)) {
        assert.match(item.sessionId, SESSION_ID);
        assert.equal(item.reason, undefined);
      }

      // And both sessions are listed, with the folder name (or the item's title) and the detected kind
      const sessions = await allSessions(server);
      assert.equal(sessions.length, 2);
      const byPath = new Map(sessions.map((session) => [session.projectPath, session]));
      assert.deepEqual(
        [byPath.get(songA)?.id, byPath.get(songA)?.title, byPath.get(songA)?.kind],
        [status.items[0].sessionId, 'Song A', 'Ableton'],
      );
      assert.deepEqual(
        [byPath.get(mixB)?.id, byPath.get(mixB)?.title, byPath.get(mixB)?.kind],
        [status.items[1].sessionId, 'Mix B (client cut)', 'Other'],
      );
      for (const session of sessions) {
        assert.equal(session.version, 1);
        assert.equal(session.previewStatus, 'none');
        assert.deepEqual(session.previews, []);
        assert.equal(session.projectOriginalPath, session.projectPath);
      }
    });

    it('given projectType, the batch kind and detection, then the kind is projectType, else the batch kind, else detected', async () => {
      // Given Ableton folders, a Logic package folder, an FL Studio file and a folder with no project file
      const withType = tree.folder('Typed');
      tree.file('Typed/Typed.als', 'als');
      const withBatchKind = tree.folder('Batch');
      tree.file('Batch/Batch.als', 'als');
      const logic = tree.folder('Tune.logicx');
      const flp = tree.file('Beats/Night Beat.flp', 'flp');
      const plain = tree.folder('Sketches');

      // When one batch has a kind and the other has none
      const withKind = await importAll(server, { kind: 'Reaper', items: [{ projectPath: withType, projectType: 'Bitwig Studio' }, { projectPath: withBatchKind }] });
      const detected = await importAll(server, { items: [{ projectPath: logic }, { projectPath: flp }, { projectPath: plain }] });

      // Then each session has the kind §7 says, and the title of its file or folder without extension
      assert.deepEqual(outcomes(withKind), ['created', 'created']);
      assert.deepEqual(outcomes(detected), ['created', 'created', 'created']);
      const byPath = new Map((await allSessions(server)).map((session) => [session.projectPath, [session.title, session.kind]]));
      assert.deepEqual(Object.fromEntries(byPath), {
        [withType]: ['Typed', 'Bitwig Studio'],
        [withBatchKind]: ['Batch', 'Reaper'],
        [logic]: ['Tune', 'Logic Pro'],
        [flp]: ['Night Beat', 'FL Studio'],
        [plain]: ['Sketches', 'Other'],
      });
    });

    it('given the same folders imported again, then both are skipped with a reason and no session is created', async () => {
      // Given two folders imported once
      const songA = tree.folder('Song A');
      const songB = tree.folder('Song B');
      const body = { items: [{ projectPath: songA }, { projectPath: songB }] };
      const first = await importAll(server, body);
      assert.deepEqual(outcomes(first), ['created', 'created']);
      const createdBefore = (await eventsOfType(server, 'SessionCreated')).length;

      // When they are imported again
      const second = await importAll(server, body);

      // Then both are skipped, with a reason, and no session is added
      assert.notEqual(second.importId, first.importId);
      assert.deepEqual([second.completed, second.failed, second.skipped], [0, 0, 2]);
      assert.deepEqual(outcomes(second), ['skipped', 'skipped']);
      for (const item of second.items) {
        assert.equal(typeof item.reason, 'string');
        assert.ok(item.reason.length > 0);
        assert.equal(item.sessionId, undefined);
      }
      assert.equal((await allSessions(server)).length, 2);
      assert.equal((await eventsOfType(server, 'SessionCreated')).length, createdBefore);
    });

    it('given sessions created, moved and deleted through the API, then import skips the live paths only', async () => {
      // Given a session created on folder A, one moved by PATCH from B to C, one deleted on D
      const [a, b, c, d] = ['A', 'B', 'C', 'D'].map((name) => tree.folder(name));
      const create = async (projectPath: string) => (await server.api('POST', '/sessions', { json: { title: 'by hand', projectPath } })).body.data.id;
      await create(a);
      const moved = await create(b);
      assert.equal((await server.api('PATCH', `/sessions/${moved}`, { json: { projectPath: c } })).status, 200);
      const removed = await create(d);
      assert.equal((await server.api('DELETE', `/sessions/${removed}`)).status, 200);

      // When the four folders are imported
      const status = await importAll(server, { items: [a, b, c, d].map((projectPath) => ({ projectPath })) });

      // Then the live paths (A, C) are skipped, the freed ones (B, D) imported
      assert.deepEqual(outcomes(status), ['skipped', 'created', 'skipped', 'created']);
      assert.deepEqual((await allSessions(server)).map((session) => session.projectPath).sort(), [a, b, c, d]);
    });

    it('given the same folder twice in one batch, then the first is created and the second skipped', async () => {
      const song = tree.folder('Song A');
      const status = await importAll(server, { items: [{ projectPath: song }, { projectPath: song, title: 'Again' }] });
      assert.deepEqual(outcomes(status), ['created', 'skipped']);
      assert.equal((await allSessions(server)).length, 1);
    });

    it('given the same missing path twice in one batch, then both fail: no session has that path (§7: a missing project fails)', async () => {
      const missing = tree.path('Nowhere');
      const status = await importAll(server, { items: [{ projectPath: missing }, { projectPath: missing }] });
      assert.deepEqual(
        status.items.map((item: Json) => item.outcome),
        ['failed', 'failed'],
        `outcomes: ${JSON.stringify(status.items)}`,
      );
      assert.equal((await allSessions(server)).length, 0);
    });

    it('writes ImportRequested, one ImportItemProcessed per item and ImportFinished on the import stream, the sessions on their own', async () => {
      const song = tree.folder('Song A');
      const status = await importAll(server, { items: [{ projectPath: song }, { projectPath: tree.path('missing') }] });
      const events = await readAllEvents(server);
      const onImport = events.filter((event) => event.streamId === status.importId);
      assert.deepEqual(
        onImport.map((event) => event.type),
        ['ImportRequested', 'ImportItemProcessed', 'ImportItemProcessed', 'ImportFinished'],
      );
      assert.deepEqual(
        onImport
          .filter((event) => event.type === 'ImportItemProcessed')
          .map((event) => event.data.index)
          .sort(),
        [0, 1],
      );
      const created = events.filter((event) => event.type === 'SessionCreated');
      assert.deepEqual(created.map((event) => event.streamId), [status.items[0].sessionId]);
      assert.equal(created[0].meta.correlationId, status.importId);
    });
  });

  describe('previews (§6, §7: previewAudioPath and generatePreviews)', () => {
    /** Polls the session until its preferred preview's analysis is done. */
    const analysed = (id: string) =>
      eventually(() => sessionOf(server, id), (session) => session.previews.every((variant: Json) => variant.status !== 'pending'), `analysis of ${id}`, IMPORT_DEADLINE_MS);

    it('given Song A with two bounces and a sample, when imported with generatePreviews, then two previews, the newer preferred, and its waveform', async () => {
      // Given an Ableton project folder with two bounces (v2 newer) and a sample in Samples/
      const song = tree.folder('Song A');
      tree.file('Song A/Song A.als', 'als');
      const v2 = tree.wav('Song A/Bounces/Song A v2.wav', { mtime: minutesAgo(1) });
      const v1 = tree.wav('Song A/Bounces/Song A v1.wav', { mtime: minutesAgo(60) });
      tree.wav('Song A/Samples/kick.wav', { mtime: minutesAgo(0) });

      // When it is imported with generatePreviews
      const status = await importAll(server, { generatePreviews: true, items: [{ projectPath: song }] });

      // Then one Ableton session with the two bounces (not the sample), the newer one preferred
      assert.deepEqual(outcomes(status), ['created']);
      const sessions = await allSessions(server);
      assert.equal(sessions.length, 1);
      const session = sessions[0];
      assert.deepEqual([session.id, session.title, session.kind], [status.items[0].sessionId, 'Song A', 'Ableton']);
      assert.deepEqual(
        session.previews.map((variant: Json) => [variant.name, variant.path]),
        [
          ['Song A v2', v2],
          ['Song A v1', v1],
        ],
      );
      const newer = session.previews.find((variant: Json) => variant.path === v2);
      assert.equal(session.preferredPreviewId, newer.id);
      assert.equal(session.previewAudioMime, 'audio/wav');
      assert.equal(session.previewAudioUrl, `${server.baseUrl}/sessions/${session.id}/preview/audio`);

      // And once analysed, the preview is ready and its waveform has peaks
      const ready = await analysed(session.id);
      assert.equal(ready.previewStatus, 'ready');
      const waveform = await server.api('GET', `/sessions/${session.id}/waveform`);
      assert.equal(waveform.status, 200, waveform.text);
      assert.equal(waveform.body.data.variantId, newer.id);
      assert.equal(waveform.body.data.peaks.length, 1000);
      assert.ok(Math.max(...waveform.body.data.peaks) > 0.4, 'the sine at amplitude 0.5 shows in the peaks');
      const audio = await server.api('GET', `/sessions/${session.id}/preview/audio`);
      assert.equal(audio.status, 200);
      assert.equal(audio.headers['content-type'], 'audio/wav');
    });

    it('given previewAudioPath outside the project, then it is attached and preferred over newer discovered bounces', async () => {
      // Given a project with a fresh bounce, and an older master elsewhere
      const song = tree.folder('Song A');
      const bounce = tree.wav('Song A/Bounces/Song A v3.wav', { mtime: minutesAgo(0) });
      const master = tree.wav('Masters/Song A master.wav', { mtime: minutesAgo(600) });

      // When imported with the master as previewAudioPath and generatePreviews
      const status = await importAll(server, { generatePreviews: true, items: [{ projectPath: song, previewAudioPath: master }] });

      // Then both are attached and the master is preferred
      assert.deepEqual(outcomes(status), ['created']);
      const session = await sessionOf(server, status.items[0].sessionId);
      assert.deepEqual(
        session.previews.map((variant: Json) => variant.path),
        [master, bounce],
      );
      assert.equal(session.preferredPreviewId, session.previews[0].id);
      assert.equal(session.previews[0].name, 'Song A master');
    });

    it('given previewAudioPath without generatePreviews, then only that file is attached', async () => {
      const song = tree.folder('Song A');
      tree.wav('Song A/Bounces/ignored.wav');
      const master = tree.wav('Masters/master.wav');
      const status = await importAll(server, { items: [{ projectPath: song, previewAudioPath: master }] });
      const session = await sessionOf(server, status.items[0].sessionId);
      assert.deepEqual(session.previews.map((variant: Json) => variant.path), [master]);
    });

    it('given bounces but no generatePreviews, then the session has no previews', async () => {
      const song = tree.folder('Song A');
      tree.wav('Song A/Bounces/Song A.wav');
      const status = await importAll(server, { generatePreviews: false, items: [{ projectPath: song }] });
      const session = await sessionOf(server, status.items[0].sessionId);
      assert.deepEqual([session.previewStatus, session.preferredPreviewId, session.previews], ['none', null, []]);
    });

    it('given two bounces with the same name in different folders, then both are attached with distinct ids', async () => {
      const song = tree.folder('Song A');
      tree.wav('Song A/mix.wav', { mtime: minutesAgo(1) });
      tree.wav('Song A/Exports/mix.wav', { mtime: minutesAgo(2) });
      const status = await importAll(server, { generatePreviews: true, items: [{ projectPath: song }] });
      const session = await sessionOf(server, status.items[0].sessionId);
      assert.deepEqual(session.previews.map((variant: Json) => variant.id), ['preview_mix', 'preview_mix-2']);
    });

    it('given a bounce whose file name is longer than a variant name may be (230 characters), then the project is still imported', async () => {
      // Given a project whose render folder holds a bounce with a very long name, and a normal one
      const song = tree.folder('Song L');
      tree.wav(`Song L/Bounces/${'Long take '.repeat(23)}.wav`, { mtime: minutesAgo(1) });
      const normal = tree.wav('Song L/Bounces/normal.wav', { mtime: minutesAgo(2) });

      // When imported with generatePreviews
      const status = await importAll(server, { generatePreviews: true, items: [{ projectPath: song }] });

      // Then the project exists and has no session yet, so §7 creates one (the long-named file shortened or left out)
      assert.equal(status.items[0].outcome, 'created', JSON.stringify(status.items[0]));
      const session = await sessionOf(server, status.items[0].sessionId);
      assert.ok(session.previews.some((variant: Json) => variant.path === normal));
      for (const variant of session.previews) assert.ok(variant.name.length >= 1 && variant.name.length <= 200);
    });

    it('given a previewAudioPath that is not audio, then the item fails with a reason and no session is created', async () => {
      const song = tree.folder('Song A');
      const text = tree.file('Song A/notes.txt', 'lyrics, not audio');
      const other = tree.folder('Song B');
      const status = await importAll(server, { items: [{ projectPath: song, previewAudioPath: text }, { projectPath: other }] });
      assert.deepEqual(outcomes(status), ['failed', 'created']);
      assert.match(status.items[0].reason, /previewAudioPath/);
      assert.deepEqual((await allSessions(server)).map((session) => session.projectPath), [other]);
    });
  });

  describe('GET /import', () => {
    it('lists imports newest first, as summaries, with meta {total, limit, offset} and paging', async () => {
      // Given three finished imports
      const ids: string[] = [];
      for (const name of ['one', 'two', 'three']) ids.push((await importAll(server, { items: [{ projectPath: tree.folder(name) }] })).importId);

      // When listed
      const response = await server.api('GET', '/import');

      // Then newest first, each a summary without items
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body.meta, { total: 3, limit: 50, offset: 0 });
      assert.deepEqual(response.body.data.map((summary: Json) => summary.importId), [...ids].reverse());
      for (const summary of response.body.data) {
        assert.deepEqual(Object.keys(summary).sort(), SUMMARY_KEYS);
        assert.deepEqual([summary.total, summary.completed, summary.done], [1, 1, true]);
      }
      const page = await server.api('GET', '/import?limit=1&offset=1');
      assert.deepEqual(page.body.meta, { total: 3, limit: 1, offset: 1 });
      assert.deepEqual(page.body.data.map((summary: Json) => summary.importId), [ids[1]]);
      assertError(await server.api('GET', '/import?limit=0'), 400, 'invalid_query');
    });

    it('given no import, then an empty list', async () => {
      const response = await server.api('GET', '/import');
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, { data: [], meta: { total: 0, limit: 50, offset: 0 } });
    });

    it('answers 404 not_found for an unknown import', async () => {
      assertError(await server.api('GET', '/import/import_01ARZ3NDEKTSV4RRFFQ69G5FAV'), 404, 'not_found');
      assertError(await server.api('GET', '/import/unknown'), 404, 'not_found');
    });
  });

  describe('refused requests write nothing', () => {
    const refused = async (response: Promise<HttpResponse>, status: number, code: string) => {
      const before = headOf(server);
      const answer = await response;
      assertError(answer, status, code);
      assert.equal(headOf(server), before);
      return answer;
    };

    it('answers 400 invalid_request for an empty items list, and for a body without items', async () => {
      const empty = await refused(postImport(server, { items: [] }), 400, 'invalid_request');
      assert.ok(empty.body.error.details.some((detail: Json) => detail.field === '/items'), empty.text);
      await refused(postImport(server, { kind: 'Ableton' }), 400, 'invalid_request');
    });

    it('answers 400 invalid_request for 10,001 items, and accepts 10,000', async () => {
      const items = (count: number) => Array.from({ length: count }, (_, index) => ({ projectPath: `/nowhere/p${index}` }));
      const tooMany = await refused(postImport(server, { items: items(10_001) }), 400, 'invalid_request');
      assert.ok(tooMany.body.error.details.some((detail: Json) => detail.field === '/items'), tooMany.text);
      const most = await postImport(server, { items: items(10_000) });
      assert.equal(most.status, 202, most.text);
      assert.equal(most.body.data.total, 10_000);
    });

    it('answers 400 invalid_request naming /items/0/projectPath for a relative path', async () => {
      const response = await refused(postImport(server, { items: [{ projectPath: 'music/Song A' }] }), 400, 'invalid_request');
      assert.ok(response.body.error.details.some((detail: Json) => detail.field === '/items/0/projectPath'), response.text);
      assert.match(response.body.error.message, /projectPath/);
    });

    it('answers 400 invalid_request for other bad item fields, each named in details', async () => {
      const response = await refused(
        postImport(server, { items: [{ projectPath: '/a', title: '' }, { projectPath: '/b', previewAudioPath: 'rel.wav' }, { projectPath: '/c', projectType: 'k'.repeat(65) }] }),
        400,
        'invalid_request',
      );
      const fields = response.body.error.details.map((detail: Json) => detail.field);
      for (const field of ['/items/0/title', '/items/1/previewAudioPath', '/items/2/projectType']) assert.ok(fields.includes(field), `${field} not in ${fields}`);
      await refused(postImport(server, { items: [{ projectPath: '/a' }], generatePreviews: 'yes' }), 400, 'invalid_request');
    });

    it('answers 400 invalid_request for unknown fields, in the body and in an item', async () => {
      const top = await refused(postImport(server, { items: [{ projectPath: '/a' }], overwrite: true }), 400, 'invalid_request');
      assert.ok(top.body.error.details.some((detail: Json) => detail.field === '/overwrite'), top.text);
      const inItem = await refused(postImport(server, { items: [{ projectPath: '/a', tags: ['x'] }] }), 400, 'invalid_request');
      assert.ok(inItem.body.error.details.some((detail: Json) => detail.field === '/items/0/tags'), inItem.text);
    });

    it('answers 400 invalid_json for a body that is not JSON', async () => {
      await refused(server.api('POST', '/import', { raw: '{"items": [', headers: { 'Content-Type': 'application/json' } }), 400, 'invalid_json');
    });

    it('answers 413 payload_too_large for a body over 16 MiB, and takes one over 1 MiB', async () => {
      const over = JSON.stringify({ items: [{ projectPath: '/a', title: 'x'.repeat(16 * 1024 * 1024) }] });
      await refused(server.api('POST', '/import', { raw: over, headers: { 'Content-Type': 'application/json' } }), 413, 'payload_too_large');
      // 2,000 items with 1,000-character paths: about 2 MiB, over the default limit, under the import one
      const items = Array.from({ length: 2_000 }, (_, index) => ({ projectPath: `/nowhere/${'p'.repeat(1_000)}/${index}` }));
      const big = await postImport(server, { items });
      assert.ok(Buffer.byteLength(JSON.stringify({ items })) > 1024 * 1024);
      assert.equal(big.status, 202, big.text);
    });

    it('answers 403 read_only in read-only mode, and still serves GET /import', async () => {
      // Given an import made by a full-automation server, then the server restarted read-only
      const status = await importAll(server, { items: [{ projectPath: tree.folder('Song A') }] });
      await server.stop();
      const readOnly = track(await startTestServer({ mode: 'read-only' }, { dataDir: server.dataDir }));
      server = readOnly;

      // Then POST /import is refused and writes nothing; the read routes answer
      await refused(postImport(server, { items: [{ projectPath: tree.folder('Song B') }] }), 403, 'read_only');
      assertError(await postImport(server, { items: [] }), 403, 'read_only', READ_ONLY);
      const listed = await server.api('GET', '/import');
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(listed.body.data.map((summary: Json) => summary.importId), [status.importId]);
      assert.deepEqual(await statusOf(server, status.importId), status);
    });
  });

  describe('Idempotency-Key (§10)', () => {
    it('replays the first 202 for the same key and a JSON-equal body, with Idempotent-Replayed, writing no second ImportRequested', async () => {
      // Given an import made under a key
      const song = tree.folder('Song A');
      const headers = { 'Idempotency-Key': 'import-once-1' };
      const first = await postImport(server, { generatePreviews: false, items: [{ projectPath: song, title: 'Song A' }] }, headers);
      assert.equal(first.status, 202, first.text);
      assert.equal(first.headers['idempotent-replayed'], undefined);
      await finished(server, first.body.data.importId);
      const before = headOf(server);

      // When retried with the same body, keys in another order
      const retry = await postImport(server, { items: [{ title: 'Song A', projectPath: song }], generatePreviews: false }, headers);

      // Then the first answer comes back, marked replayed, and nothing is written
      assert.equal(retry.status, 202, retry.text);
      assert.equal(retry.headers['idempotent-replayed'], 'true');
      assert.deepEqual(retry.body, first.body);
      assert.equal(retry.headers.location, first.headers.location);
      assert.equal(headOf(server), before);
      const requested = await eventsOfType(server, 'ImportRequested');
      assert.deepEqual(requested.map((event) => [event.streamId, event.meta.idempotencyKey]), [[first.body.data.importId, 'import-once-1']]);
      assert.equal((await allSessions(server)).length, 1);
    });

    it('answers 422 idempotency_key_reused for the same key with another body, writing nothing', async () => {
      const headers = { 'Idempotency-Key': 'import-reused' };
      const first = await postImport(server, { items: [{ projectPath: tree.folder('Song A') }] }, headers);
      assert.equal(first.status, 202, first.text);
      await finished(server, first.body.data.importId);
      const before = headOf(server);

      const other = await postImport(server, { items: [{ projectPath: tree.folder('Song B') }] }, headers);

      assertError(other, 422, 'idempotency_key_reused');
      assert.equal(other.headers['idempotent-replayed'], undefined);
      assert.equal(headOf(server), before);
      assert.equal((await eventsOfType(server, 'ImportRequested')).length, 1);
    });

    it('starts one import for 5 concurrent requests with the same new key and body', async () => {
      const headers = { 'Idempotency-Key': 'import-concurrent' };
      const body = { items: [{ projectPath: tree.folder('Song A') }] };
      const responses = await Promise.all(Array.from({ length: 5 }, () => postImport(server, body, headers)));
      for (const response of responses) assert.equal(response.status, 202, response.text);
      assert.equal(new Set(responses.map((response) => response.body.data.importId)).size, 1);
      assert.equal(responses.filter((response) => response.headers['idempotent-replayed'] === 'true').length, 4);
      await finished(server, responses[0].body.data.importId);
      assert.equal((await eventsOfType(server, 'ImportRequested')).length, 1);
      assert.equal((await allSessions(server)).length, 1);
    });

    it('scopes keys to the route: a key used on POST /sessions starts a new import', async () => {
      const headers = { 'Idempotency-Key': 'shared-key' };
      assert.equal((await server.api('POST', '/sessions', { json: { title: 'By hand' }, headers })).status, 201);
      const response = await postImport(server, { items: [{ projectPath: tree.folder('Song A') }] }, headers);
      assert.equal(response.status, 202, response.text);
      assert.equal(response.headers['idempotent-replayed'], undefined);
      assert.match(response.body.data.importId, IMPORT_ID);
    });

    it('replays after a restart too (the key is rebuilt from the log)', async () => {
      const headers = { 'Idempotency-Key': 'import-across-restart' };
      const body = { items: [{ projectPath: tree.folder('Song A') }] };
      const first = await postImport(server, body, headers);
      assert.equal(first.status, 202, first.text);
      await finished(server, first.body.data.importId);
      await server.stop();
      const restarted = track(await startTestServer({}, { dataDir: server.dataDir }));
      const retry = await postImport(restarted, body, headers);
      assert.equal(retry.status, 202, retry.text);
      assert.equal(retry.headers['idempotent-replayed'], 'true');
      assert.deepEqual(retry.body, first.body);
    });
  });

  describe('an import a stop interrupted', () => {
    const FOLDERS = 1_000;

    it('given a crash after an item created its session but before its outcome was recorded, when restarted, then the item is recorded as created, not created twice', async () => {
      // Given the log a crash leaves behind: an import requested, item 0's session appended, no outcome yet
      const dataDir = newDataDir();
      const first = track(await startTestServer({}, { dataDir }));
      const [songA, songB] = [tree.folder('Song A'), tree.folder('Song B')];
      const importId = newImportId();
      const meta = { at: new Date().toISOString(), requestId: 'before-the-crash', actor: 'test' };
      const items = [{ projectPath: songA }, { projectPath: songB }];
      await first.server.store.append(importId, 0, [{ type: 'ImportRequested', data: { kind: null, generatePreviews: false, items } }], meta);
      const orphan = importedSessionId(importId, 0, Date.parse(meta.at));
      await first.server.store.append(orphan, 0, [{ type: 'SessionCreated', data: { ...newSessionData({ title: 'Song A', projectPath: songA }) } }], meta);
      await first.stop();

      // When a server starts on that data directory
      const second = track(await startTestServer({}, { dataDir }));
      const status = await finished(second, importId);

      // Then item 0 is recorded as created with the session it had, and item 1 is imported
      assert.deepEqual(
        status.items.map((item: Json) => [item.index, item.outcome]),
        [
          [0, 'created'],
          [1, 'created'],
        ],
      );
      assert.equal(status.items[0].sessionId, orphan);
      const created = (await readAllEvents(second)).filter((event) => event.type === 'SessionCreated');
      assert.deepEqual(created.map((event) => event.data.projectPath).sort(), [songA, songB]);
      assert.deepEqual((await allSessions(second)).map((session) => session.projectPath).sort(), [songA, songB]);
    });

    it('given an import stopped part-way, when the server starts again on the same data dir, then it resumes and finishes, every item once', async () => {
      // Given an import of 1,000 folders (plus one duplicate path), stopped right after it is accepted
      const dataDir = newDataDir();
      const first = track(await startTestServer({}, { dataDir }));
      const paths = Array.from({ length: FOLDERS }, (_, index) => tree.folder(`p${String(index).padStart(4, '0')}`));
      const items = [...paths, paths[3]].map((projectPath) => ({ projectPath }));
      const { importId } = await startImport(first, { items });
      await first.stop();

      // When a read-only server opens the data dir, the import stays as it was
      const readOnly = track(await startTestServer({ mode: 'read-only' }, { dataDir }));
      const paused = await statusOf(readOnly, importId);
      assert.equal(paused.done, false, 'the import finished before the stop: make it longer');
      const pausedAt = headOf(readOnly);
      assert.ok(!readOnly.logs.some((line) => line.includes('import resumed')));
      await readOnly.stop();

      // And a full-automation server resumes it
      const second = track(await startTestServer({}, { dataDir }));
      assert.ok(
        second.logs.some((line) => line.includes('import resumed') && line.includes(importId)),
        `no resume logged: ${second.logs.join('\n')}`,
      );
      const status = await finished(second, importId);
      assert.ok(headOf(second) > pausedAt);

      // Then every item has exactly one outcome, and every path exactly one session
      assert.deepEqual(status.items.map((item: Json) => item.index), Array.from({ length: FOLDERS + 1 }, (_, index) => index));
      assert.deepEqual([status.completed, status.failed, status.skipped], [FOLDERS, 0, 1]);
      assert.equal(status.items[FOLDERS].outcome, 'skipped');
      const events = await readAllEvents(second);
      const processed = events.filter((event) => event.type === 'ImportItemProcessed' && event.streamId === importId);
      assert.equal(processed.length, FOLDERS + 1, 'an item was recorded twice');
      const created = events.filter((event) => event.type === 'SessionCreated');
      assert.equal(created.length, FOLDERS);
      assert.equal(new Set(created.map((event) => event.streamId)).size, FOLDERS);
      const sessions = await allSessions(second);
      assert.equal(sessions.length, FOLDERS);
      assert.equal(new Set(sessions.map((session) => session.projectPath)).size, FOLDERS);
      const bySession = new Map(status.items.filter((item: Json) => item.sessionId).map((item: Json) => [item.sessionId, item.projectPath]));
      for (const session of sessions) assert.equal(bySession.get(session.id), session.projectPath);
      assert.equal(events.filter((event) => event.type === 'ImportFinished' && event.streamId === importId).length, 1);
    });
  });
});
