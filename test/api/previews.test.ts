import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { assertError } from '../helpers/assertions';
import { encodeWav, fixturePath, garbageWav, sine, tempAudioDir, writeWav, type AudioDir } from '../helpers/audio';
import { eventually } from '../helpers/eventually';
import type { HttpResponse } from '../helpers/http';
import { newDataDir, readAllEvents, startTestServer, type TestServer } from '../helpers/server';

/*
 * Preview management over HTTP: attach (POST /sessions/{id}/previews), detach (DELETE
 * /sessions/{id}/previews/{variantId}), the preferred variant (PATCH preferredPreviewId), the preview
 * object (GET /sessions/{id}/preview) and the preview fields of every Session body (contract §4,
 * §5.1, §6, §10 "Preview management" and "Idempotency").
 */

type Json = Record<string, any>;

const READ_ONLY = 'Enable Full Automation to perform this action.';
const UNKNOWN_ID = 'session_01ARZ3NDEKTSV4RRFFQ69G5FAV';
const PREVIEW_KEYS = ['id', 'previewStatus', 'preferredPreviewId', 'previewUrl', 'previewAudioUrl', 'previewAudioMime', 'previews'];
const PREVIEW_EVENTS = ['PreviewAttached', 'PreviewDetached', 'PreferredPreviewChosen', 'PreviewAnalysed', 'PreviewFailed'];

const headOf = (server: TestServer) => server.server.store.head().position;

async function createSession(server: TestServer, body: Json = { title: 'With previews' }): Promise<Json> {
  const response = await server.api('POST', '/sessions', { json: body });
  assert.equal(response.status, 201, response.text);
  return response.body.data;
}

const attach = (server: TestServer, id: string, body: Json, headers?: Record<string, string>) =>
  server.api('POST', `/sessions/${id}/previews`, { json: body, headers });

async function attachOk(server: TestServer, id: string, body: Json): Promise<Json> {
  const response = await attach(server, id, body);
  assert.equal(response.status, 201, response.text);
  return response.body.data;
}

async function previewOf(server: TestServer, id: string): Promise<Json> {
  const response = await server.api('GET', `/sessions/${id}/preview`);
  assert.equal(response.status, 200, response.text);
  return response.body.data;
}

/** Polls GET /preview until every variant has left `pending` (analysis done, ready or failed). */
const settled = (server: TestServer, id: string) =>
  eventually(
    () => previewOf(server, id),
    (preview) => preview.previews.every((variant: Json) => variant.status !== 'pending'),
    `analysis of the previews of ${id}`,
  );

/** The log head once the background analysis of the session's variants is done (so nothing lands after it). */
async function quietHeadOf(server: TestServer, id: string): Promise<number> {
  await settled(server, id);
  return headOf(server);
}

/** The preview events about a session: on its stream, or (for the analysis outcome) naming it in data.sessionId. */
const previewEventsOf = async (server: TestServer, id: string) =>
  (await readAllEvents(server)).filter(
    (event) => PREVIEW_EVENTS.includes(event.type) && (event.streamId === id || (event.data as Json | undefined)?.sessionId === id),
  );

function assertJson(response: HttpResponse): void {
  assert.match(String(response.headers['content-type']), /^application\/json;\s*charset=utf-8$/i);
}

/** The PreviewObject's fixed part for a session, given its variants and preferred variant. */
function expectedPreview(server: TestServer, id: string, preferred: string | null, mime: string | null): Json {
  return {
    id,
    preferredPreviewId: preferred,
    previewUrl: `${server.baseUrl}/sessions/${id}/preview`,
    previewAudioUrl: preferred === null ? null : `${server.baseUrl}/sessions/${id}/preview/audio`,
    previewAudioMime: mime,
  };
}

const fixedPart = (preview: Json) => ({
  id: preview.id,
  preferredPreviewId: preview.preferredPreviewId,
  previewUrl: preview.previewUrl,
  previewAudioUrl: preview.previewAudioUrl,
  previewAudioMime: preview.previewAudioMime,
});

const variantsOf = (preview: Json) => preview.previews.map((variant: Json) => ({ id: variant.id, name: variant.name, path: variant.path }));

describe('API: preview management (contract §5.1, §6, §10)', () => {
  const servers: TestServer[] = [];
  const track = (server: TestServer) => (servers.push(server), server);
  let server: TestServer;
  let audio: AudioDir;
  let mainWav: string;
  let altWav: string;
  let thirdWav: string;

  before(() => {
    audio = tempAudioDir();
    mainWav = writeWav(audio.file('main.wav'), sine({ durationS: 0.5 }));
    altWav = writeWav(audio.file('Alt Mix.wav'), sine({ durationS: 0.5, amplitude: 0.25 }));
    thirdWav = writeWav(audio.file('third.wav'), sine({ durationS: 0.5, amplitude: 0.75 }), { encoding: 'pcm24' });
  });

  after(() => audio.cleanup());

  beforeEach(async () => {
    server = track(await startTestServer());
  });

  afterEach(async () => {
    while (servers.length > 0) await servers.pop()!.dispose();
  });

  describe('attach: POST /sessions/{id}/previews', () => {
    it('attaches a WAV: 201, the preview object, ETag of the new version, one PreviewAttached, then ready', async () => {
      // Given a session without previews
      const session = await createSession(server);
      const before = headOf(server);

      // When a WAV file is attached by path alone
      const response = await attach(server, session.id, { path: mainWav });

      // Then 201 with the preview object: defaults from the file name, first variant preferred
      assert.equal(response.status, 201, response.text);
      assertJson(response);
      assert.equal(response.headers.etag, '"2"');
      assert.deepEqual(Object.keys(response.body), ['data']);
      const preview = response.body.data;
      assert.deepEqual(Object.keys(preview).sort(), [...PREVIEW_KEYS].sort());
      assert.deepEqual(fixedPart(preview), expectedPreview(server, session.id, 'preview_main', 'audio/wav'));
      assert.equal(preview.previews.length, 1);
      const [variant] = preview.previews;
      assert.deepEqual(Object.keys(variant).sort(), ['id', 'name', 'path', 'status']);
      assert.deepEqual({ id: variant.id, name: variant.name, path: variant.path }, { id: 'preview_main', name: 'main', path: mainWav });
      assert.ok(['pending', 'ready'].includes(variant.status), `status ${variant.status}`);
      assert.equal(preview.previewStatus, variant.status);

      // And exactly one event was appended by the request: PreviewAttached on the session's stream, version 2
      const appended = (await readAllEvents(server)).filter((event) => event.position > before && !['PreviewAnalysed', 'PreviewFailed'].includes(event.type));
      assert.deepEqual(
        appended.map((event) => [event.type, event.streamId, event.version]),
        [['PreviewAttached', session.id, 2]],
      );

      // And the analysis makes it ready, recorded as PreviewAnalysed on the same stream
      const done = await settled(server, session.id);
      assert.equal(done.previews[0].status, 'ready');
      assert.equal(done.previewStatus, 'ready');
      const events = await previewEventsOf(server, session.id);
      assert.deepEqual(events.map((event) => event.type), ['PreviewAttached', 'PreviewAnalysed']);
    });

    it('shows the preview fields on GET /sessions/{id}, in the list and in a PATCH response', async () => {
      // Given a session with a ready preview
      const session = await createSession(server);
      await attachOk(server, session.id, { path: mainWav });
      const preview = await settled(server, session.id);

      // When the session is read, listed and patched
      const single = await server.api('GET', `/sessions/${session.id}`);
      const list = await server.api('GET', '/sessions');
      const patched = await server.api('PATCH', `/sessions/${session.id}`, { json: { title: 'Renamed' } });

      // Then every Session body carries the same preview fields as GET /preview
      const { id: _id, ...fields } = preview;
      for (const [what, body] of [['GET', single.body?.data], ['list', list.body?.data?.[0]], ['PATCH', patched.body?.data]] as const) {
        assert.ok(body, `${what}: no session in ${single.text} ${list.text} ${patched.text}`);
        for (const [key, value] of Object.entries(fields)) assert.deepEqual(body[key], value, `${what}: ${key}`);
      }
      assert.equal(single.headers.etag, `"${single.body.data.version}"`);
    });

    it('names the variant from the body: id preview_ + slug of the name, runs of other characters as one "-"', async () => {
      const session = await createSession(server);

      const preview = await attachOk(server, session.id, { path: altWav, name: 'Club Mix -- v2' });

      assert.deepEqual(variantsOf(preview), [{ id: 'preview_club-mix-v2', name: 'Club Mix -- v2', path: altWav }]);
      assert.equal(preview.preferredPreviewId, 'preview_club-mix-v2');
    });

    it('defaults the name to the base name without extension and slugs it (Alt Mix.wav: preview_alt-mix)', async () => {
      const session = await createSession(server);

      const preview = await attachOk(server, session.id, { path: altWav });

      assert.deepEqual(variantsOf(preview), [{ id: 'preview_alt-mix', name: 'Alt Mix', path: altWav }]);
    });

    it('de-duplicates default ids with -2, -3 ..., also against an explicit id', async () => {
      // Given three different files all named main, and a session whose first variant took preview_main explicitly
      const dirs = ['a', 'b', 'c'].map((name) => {
        const path = audio.file(`dup/${name}/main.wav`);
        writeFileSync(path, encodeWav(sine({ durationS: 0.2 })));
        return path;
      });
      const session = await createSession(server);
      await attachOk(server, session.id, { path: mainWav, id: 'preview_main', name: 'The main one' });

      // When the three are attached without id
      for (const path of dirs) await attachOk(server, session.id, { path });

      // Then they get preview_main-2, -3, -4 and the first stays preferred
      const preview = await previewOf(server, session.id);
      assert.deepEqual(variantsOf(preview), [
        { id: 'preview_main', name: 'The main one', path: mainWav },
        { id: 'preview_main-2', name: 'main', path: dirs[0] },
        { id: 'preview_main-3', name: 'main', path: dirs[1] },
        { id: 'preview_main-4', name: 'main', path: dirs[2] },
      ]);
      assert.equal(preview.preferredPreviewId, 'preview_main');
    });

    it('accepts explicit ids at the limits of ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', async () => {
      const session = await createSession(server);
      const longest = `A${'b_-9'.repeat(15)}xyz`;
      assert.equal(longest.length, 64);

      for (const id of ['A', '7', longest, 'x_-']) {
        const preview = await attachOk(server, session.id, { path: mainWav, id });
        assert.ok(preview.previews.some((variant: Json) => variant.id === id), `${id} missing in ${JSON.stringify(preview)}`);
      }
    });

    for (const id of ['', '-starts-with-dash', '_underscore', 'has space', '../escape', 'a/b', 'ümlaut', `a${'b'.repeat(64)}`, 42, null]) {
      it(`refuses the explicit id ${JSON.stringify(id).slice(0, 30)} with 400 invalid_request naming /id, writing nothing`, async () => {
        const session = await createSession(server);
        const before = headOf(server);

        const response = await attach(server, session.id, { path: mainWav, id });

        assertError(response, 400, 'invalid_request');
        assert.ok(response.body.error.details.some((detail: Json) => detail.field === '/id'), response.text);
        assert.equal(headOf(server), before);
      });
    }

    it('answers 409 conflict for an id the session already uses, writing nothing', async () => {
      const session = await createSession(server);
      await attachOk(server, session.id, { path: mainWav, id: 'preview_mix' });
      const before = await quietHeadOf(server, session.id);
      const previewBefore = await previewOf(server, session.id);

      const response = await attach(server, session.id, { path: altWav, id: 'preview_mix' });

      assertError(response, 409, 'conflict');
      assert.equal(headOf(server), before);
      assert.deepEqual(variantsOf(await previewOf(server, session.id)), variantsOf(previewBefore));
    });

    it('lets two sessions use the same variant id', async () => {
      const one = await createSession(server, { title: 'One' });
      const two = await createSession(server, { title: 'Two' });

      await attachOk(server, one.id, { path: mainWav });
      const second = await attachOk(server, two.id, { path: mainWav });

      assert.equal(second.previews[0].id, 'preview_main');
    });

    describe('paths that are not a readable audio file: 400 invalid_request naming /path, nothing written', () => {
      const cases: Array<[string, () => string]> = [
        ['a relative path', () => 'Bounces/main.wav'],
        ['a path that does not exist', () => audio.file('nowhere/missing.wav')],
        ['a directory', () => audio.path],
        ['a directory named like audio', () => (mkdirSync(audio.file('folder.wav'), { recursive: true }), audio.file('folder.wav'))],
        ['a text file', () => (writeFileSync(audio.file('notes.txt'), 'just some notes\n'), audio.file('notes.txt'))],
        ['a text file named .wav (sniffed, not trusted by extension)', () => (writeFileSync(audio.file('fake.wav'), 'not audio at all\n'.repeat(100)), audio.file('fake.wav'))],
        ['an empty file named .mp3', () => (writeFileSync(audio.file('empty.mp3'), ''), audio.file('empty.mp3'))],
        ['an empty string', () => ''],
      ];
      for (const [what, pathOf] of cases) {
        it(what, async () => {
          const session = await createSession(server);
          const before = headOf(server);

          const response = await attach(server, session.id, { path: pathOf() });

          assertError(response, 400, 'invalid_request');
          assert.ok(response.body.error.details.some((detail: Json) => detail.field === '/path'), response.text);
          assert.equal(headOf(server), before);
          assert.deepEqual((await previewOf(server, session.id)).previews, []);
        });
      }
    });

    it('refuses malformed bodies: 400 invalid_request (missing path, wrong types, unknown field), invalid_json, 415', async () => {
      const session = await createSession(server);
      const before = headOf(server);

      const bodies: Array<[unknown, string]> = [
        [{}, '/path'],
        [{ name: 'no path' }, '/path'],
        [{ path: 42 }, '/path'],
        [{ path: mainWav, name: 7 }, '/name'],
        [{ path: mainWav, colour: 'red' }, '/colour'],
        [[mainWav], ''],
      ];
      for (const [json, field] of bodies) {
        const response = await attach(server, session.id, json as Json);
        assertError(response, 400, 'invalid_request');
        assert.ok(response.body.error.details.some((detail: Json) => detail.field === field), `${JSON.stringify(json)}: ${response.text}`);
      }
      const broken = await server.api('POST', `/sessions/${session.id}/previews`, { raw: '{"path": ', headers: { 'Content-Type': 'application/json' } });
      assertError(broken, 400, 'invalid_json', 'Request body must be valid JSON.');
      // text/plain from a bearer client must still parse as JSON (issue 18); another media type is 415.
      const text = await server.api('POST', `/sessions/${session.id}/previews`, { raw: mainWav, headers: { 'Content-Type': 'text/plain' } });
      assertError(text, 400, 'invalid_json', 'Request body must be valid JSON.');
      const form = await server.api('POST', `/sessions/${session.id}/previews`, { raw: `path=${mainWav}`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
      assertError(form, 415, 'unsupported_media_type');
      assert.equal(headOf(server), before);
    });

    it('sniffs the media type from the header, not the extension (WAV named .mp3: audio/wav)', async () => {
      // Given the fixtures and a WAV file named .mp3
      const mislabelled = audio.file('mislabelled.mp3');
      copyFileSync(mainWav, mislabelled);
      const files: Array<[string, string]> = [
        [mislabelled, 'audio/wav'],
        [fixturePath('sine-440.flac'), 'audio/flac'],
        [fixturePath('sine-440.mp3'), 'audio/mpeg'],
        [fixturePath('sine-440.ogg'), 'audio/ogg'],
        [fixturePath('sine-440-mono-16.aiff'), 'audio/aiff'],
        [thirdWav, 'audio/wav'],
      ];

      // When each is attached to its own session, then each becomes ready and reports its type
      for (const [path, mime] of files) {
        const session = await createSession(server, { title: path });
        const attached = await attachOk(server, session.id, { path });
        assert.equal(attached.previewAudioMime, mime, path);
        const done = await settled(server, session.id);
        assert.equal(done.previewAudioMime, mime, path);
        assert.equal(done.previewStatus, 'ready', `${path}: ${JSON.stringify(done)}`);
      }
    });

    it('accepts a file that sniffs as audio but does not decode, and marks it failed (PreviewFailed)', async () => {
      // Given a RIFF/WAVE header followed by random bytes
      const broken = audio.file('broken.wav');
      writeFileSync(broken, garbageWav(8192));
      const session = await createSession(server);

      // When it is attached
      const preview = await attachOk(server, session.id, { path: broken });
      assert.equal(preview.previewAudioMime, 'audio/wav');

      // Then its analysis fails
      const done = await settled(server, session.id);
      assert.equal(done.previews[0].status, 'failed');
      assert.equal(done.previewStatus, 'failed');
      assert.deepEqual((await previewEventsOf(server, session.id)).map((event) => event.type), ['PreviewAttached', 'PreviewFailed']);
    });

    it('answers 404 not_found for an unknown session and for a deleted one, writing nothing', async () => {
      const session = await createSession(server);
      assert.equal((await server.api('DELETE', `/sessions/${session.id}`)).status, 200);
      const before = headOf(server);

      for (const id of [UNKNOWN_ID, session.id]) {
        assertError(await attach(server, id, { path: mainWav }), 404, 'not_found');
        assertError(await server.api('DELETE', `/sessions/${id}/previews/preview_main`), 404, 'not_found');
        assertError(await server.api('GET', `/sessions/${id}/preview`), 404, 'not_found');
      }
      assert.equal(headOf(server), before);
    });
  });

  describe('preferred variant, detach, previewStatus', () => {
    it('keeps the first variant preferred when others are attached', async () => {
      const session = await createSession(server);
      await attachOk(server, session.id, { path: mainWav });

      const preview = await attachOk(server, session.id, { path: altWav });

      assert.equal(preview.preferredPreviewId, 'preview_main');
      assert.deepEqual(preview.previews.map((variant: Json) => variant.id), ['preview_main', 'preview_alt-mix']);
      assert.equal(preview.previewAudioUrl, `${server.baseUrl}/sessions/${session.id}/preview/audio`);
    });

    it('PATCH preferredPreviewId chooses another variant: 200 Session, one PreferredPreviewChosen, version +1', async () => {
      // Given a session with two variants (one of them 24-bit)
      const session = await createSession(server);
      await attachOk(server, session.id, { path: mainWav });
      await attachOk(server, session.id, { path: thirdWav });
      await settled(server, session.id);
      const versionBefore = (await server.api('GET', `/sessions/${session.id}`)).body.data.version;
      const before = headOf(server);

      // When the second is made preferred
      const response = await server.api('PATCH', `/sessions/${session.id}`, { json: { preferredPreviewId: 'preview_third' } });

      // Then the session says so and the preview object agrees
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.data.preferredPreviewId, 'preview_third');
      assert.equal(response.body.data.version, versionBefore + 1);
      assert.equal(response.headers.etag, `"${versionBefore + 1}"`);
      assert.equal(response.body.data.previewStatus, 'ready');
      const preview = await previewOf(server, session.id);
      assert.deepEqual(fixedPart(preview), expectedPreview(server, session.id, 'preview_third', 'audio/wav'));
      const events = (await readAllEvents(server)).filter((event) => event.position > before);
      assert.deepEqual(events.map((event) => [event.type, event.streamId, event.version]), [['PreferredPreviewChosen', session.id, versionBefore + 1]]);
    });

    it('PATCH preferredPreviewId naming no variant: 400 invalid_request naming /preferredPreviewId, nothing written', async () => {
      const session = await createSession(server);
      await attachOk(server, session.id, { path: mainWav });
      const bare = await createSession(server, { title: 'No previews' });
      const before = await quietHeadOf(server, session.id);

      for (const [id, value] of [[session.id, 'preview_nope'], [session.id, ''], [session.id, 12], [bare.id, 'preview_main']] as const) {
        const response = await server.api('PATCH', `/sessions/${id}`, { json: { preferredPreviewId: value } });
        assertError(response, 400, 'invalid_request');
        assert.ok(response.body.error.details.some((detail: Json) => detail.field === '/preferredPreviewId'), response.text);
      }
      assert.equal(headOf(server), before);
      assert.equal((await previewOf(server, session.id)).preferredPreviewId, 'preview_main');
    });

    it('detaching the preferred variant makes the oldest remaining one preferred; detaching another keeps it', async () => {
      // Given three variants, the newest preferred
      const session = await createSession(server);
      await attachOk(server, session.id, { path: mainWav });
      await attachOk(server, session.id, { path: altWav });
      await attachOk(server, session.id, { path: thirdWav });
      const chosen = await server.api('PATCH', `/sessions/${session.id}`, { json: { preferredPreviewId: 'preview_third' } });
      assert.equal(chosen.status, 200, chosen.text);

      // When the preferred one is detached, the oldest remaining (preview_main) takes over
      const first = await server.api('DELETE', `/sessions/${session.id}/previews/preview_third`);
      assert.equal(first.status, 200, first.text);
      assertJson(first);
      assert.deepEqual(Object.keys(first.body.data).sort(), [...PREVIEW_KEYS].sort());
      assert.equal(first.body.data.preferredPreviewId, 'preview_main');
      assert.deepEqual(first.body.data.previews.map((variant: Json) => variant.id), ['preview_main', 'preview_alt-mix']);

      // When a variant that is not preferred is detached, the preferred one stays
      const second = await server.api('DELETE', `/sessions/${session.id}/previews/preview_alt-mix`);
      assert.equal(second.status, 200, second.text);
      assert.equal(second.body.data.preferredPreviewId, 'preview_main');
      assert.deepEqual(second.body.data.previews.map((variant: Json) => variant.id), ['preview_main']);
      assert.deepEqual(await previewOf(server, session.id), second.body.data);
    });

    it('detaching the last variant leaves previewStatus none, nulls and [] (preview object and Session)', async () => {
      const session = await createSession(server);
      await attachOk(server, session.id, { path: mainWav });
      await settled(server, session.id);
      const versionBefore = (await server.api('GET', `/sessions/${session.id}`)).body.data.version;
      const before = headOf(server);

      const response = await server.api('DELETE', `/sessions/${session.id}/previews/preview_main`);

      assert.equal(response.status, 200, response.text);
      const expected: Json = { ...expectedPreview(server, session.id, null, null), previewStatus: 'none', previews: [] };
      assert.deepEqual(response.body.data, expected);
      assert.deepEqual(await previewOf(server, session.id), expected);
      const fetched = (await server.api('GET', `/sessions/${session.id}`)).body.data;
      for (const key of ['previewStatus', 'preferredPreviewId', 'previewAudioUrl', 'previewAudioMime', 'previews', 'previewUrl']) {
        assert.deepEqual(fetched[key], expected[key], key);
      }
      assert.equal(fetched.version, versionBefore + 1);
      const events = (await readAllEvents(server)).filter((event) => event.position > before && event.type !== 'PreviewAnalysed');
      assert.deepEqual(events.map((event) => [event.type, event.streamId, event.version]), [['PreviewDetached', session.id, versionBefore + 1]]);
    });

    it('a variant id freed by detach can be attached again', async () => {
      const session = await createSession(server);
      await attachOk(server, session.id, { path: mainWav });
      assert.equal((await server.api('DELETE', `/sessions/${session.id}/previews/preview_main`)).status, 200);

      const again = await attachOk(server, session.id, { path: altWav, id: 'preview_main' });

      assert.deepEqual(variantsOf(again), [{ id: 'preview_main', name: 'Alt Mix', path: altWav }]);
      assert.equal(again.preferredPreviewId, 'preview_main');
    });

    it('previewStatus follows the preferred variant (failed preferred, ready other)', async () => {
      // Given a session whose preferred variant fails analysis and whose second is ready
      const broken = audio.file('status/broken.wav');
      writeFileSync(broken, garbageWav(4096));
      const session = await createSession(server);
      await attachOk(server, session.id, { path: broken });
      await attachOk(server, session.id, { path: mainWav });
      const done = await settled(server, session.id);
      assert.deepEqual(done.previews.map((variant: Json) => variant.status), ['failed', 'ready']);
      assert.equal(done.previewStatus, 'failed');

      // When the ready one is preferred, the summary follows it
      const patched = await server.api('PATCH', `/sessions/${session.id}`, { json: { preferredPreviewId: 'preview_main' } });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.body.data.previewStatus, 'ready');
      assert.equal((await previewOf(server, session.id)).previewStatus, 'ready');
    });

    it('DELETE of an unknown variant answers 404 not_found and writes nothing', async () => {
      const session = await createSession(server);
      await attachOk(server, session.id, { path: mainWav });
      const before = await quietHeadOf(server, session.id);

      for (const variant of ['preview_nope', 'main', 'PREVIEW_MAIN', '..%2Fpreview_main']) {
        assertError(await server.api('DELETE', `/sessions/${session.id}/previews/${variant}`), 404, 'not_found');
      }
      assert.equal(headOf(server), before);
      assert.equal((await previewOf(server, session.id)).previews.length, 1);
    });

    it('GET /preview of a session without variants: none, nulls, []', async () => {
      const session = await createSession(server);

      const response = await server.api('GET', `/sessions/${session.id}/preview`);

      assert.equal(response.status, 200, response.text);
      assertJson(response);
      assert.deepEqual(response.body, { data: { ...expectedPreview(server, session.id, null, null), previewStatus: 'none', previews: [] } });
    });

    it('the preview state is rebuilt from the log after a restart', async () => {
      // Given previews written by a server that then stops
      const dataDir = newDataDir();
      const first = track(await startTestServer({}, { dataDir }));
      const session = await createSession(first);
      await attachOk(first, session.id, { path: mainWav });
      await attachOk(first, session.id, { path: altWav });
      assert.equal((await first.api('PATCH', `/sessions/${session.id}`, { json: { preferredPreviewId: 'preview_alt-mix' } })).status, 200);
      const before = await settled(first, session.id);
      await first.stop();

      // When a server starts on the same data directory and port
      const second = track(await startTestServer({ port: first.server.port }, { dataDir }));

      // Then it reads the same preview object
      assert.deepEqual(await previewOf(second, session.id), before);
    });
  });

  describe('modes and idempotency', () => {
    it('refuses attach, detach and PATCH preferredPreviewId with 403 read_only in read-only mode; reads still answer', async () => {
      // Given a session with a preview written by a full-automation server
      const dataDir = newDataDir();
      const seeder = track(await startTestServer({}, { dataDir }));
      const session = await createSession(seeder);
      await attachOk(seeder, session.id, { path: mainWav });
      await attachOk(seeder, session.id, { path: altWav });
      await settled(seeder, session.id);
      await seeder.stop();

      // When the server restarts read-only
      const readOnly = track(await startTestServer({ mode: 'read-only' }, { dataDir }));
      const before = headOf(readOnly);

      // Then every preview write is refused and nothing is written
      const attempts: Array<[string, string, Json | undefined, Record<string, string>?]> = [
        ['POST', `/sessions/${session.id}/previews`, { path: thirdWav }],
        ['POST', `/sessions/${session.id}/previews`, { path: thirdWav }, { 'Idempotency-Key': 'read-only-attach' }],
        ['POST', `/sessions/${UNKNOWN_ID}/previews`, { path: thirdWav }],
        ['DELETE', `/sessions/${session.id}/previews/preview_main`, undefined],
        ['PATCH', `/sessions/${session.id}`, { preferredPreviewId: 'preview_alt-mix' }],
      ];
      for (const [method, path, json, headers] of attempts) {
        assertError(await readOnly.api(method, path, { json, headers }), 403, 'read_only', READ_ONLY);
      }
      assert.equal(headOf(readOnly), before);

      // And the reads answer
      const preview = await previewOf(readOnly, session.id);
      assert.equal(preview.previews.length, 2);
      assert.equal(preview.preferredPreviewId, 'preview_main');
      const audioResponse = await readOnly.api('GET', `/sessions/${session.id}/preview/audio`);
      assert.equal(audioResponse.status, 200);
      const waveform = await readOnly.api('GET', `/sessions/${session.id}/waveform?points=16`);
      assert.equal(waveform.status, 200, waveform.text);
    });

    it('replays an attach retried with the same Idempotency-Key and a JSON-equal body, writing nothing', async () => {
      // Given a variant attached under a key
      const session = await createSession(server);
      const headers = { 'Idempotency-Key': 'attach-once' };
      const first = await attach(server, session.id, { path: altWav, name: 'Alt', id: 'preview_alt' }, headers);
      assert.equal(first.status, 201, first.text);
      assert.equal(first.headers['idempotent-replayed'], undefined);
      await settled(server, session.id);
      const before = headOf(server);

      // When it is retried with the keys in another order
      const retry = await attach(server, session.id, { id: 'preview_alt', name: 'Alt', path: altWav }, headers);

      // Then the first response comes back, marked replayed, and nothing is appended
      assert.equal(retry.status, 201, retry.text);
      assert.equal(retry.headers['idempotent-replayed'], 'true');
      assert.deepEqual(retry.body, first.body);
      assert.equal(retry.headers.etag, first.headers.etag);
      assert.equal(headOf(server), before);
      assert.equal((await previewOf(server, session.id)).previews.length, 1);

      // And the attach event carries the key
      const attached = (await previewEventsOf(server, session.id)).filter((event) => event.type === 'PreviewAttached');
      assert.deepEqual(attached.map((event) => event.meta.idempotencyKey), ['attach-once']);
    });

    it('replays a default-id attach instead of attaching a second copy (no preview_main-2)', async () => {
      const session = await createSession(server);
      const headers = { 'Idempotency-Key': 'attach-default-id' };
      const first = await attach(server, session.id, { path: mainWav }, headers);
      assert.equal(first.status, 201, first.text);
      const before = await quietHeadOf(server, session.id);

      const retry = await attach(server, session.id, { path: mainWav }, headers);

      assert.equal(retry.status, 201, retry.text);
      assert.equal(retry.headers['idempotent-replayed'], 'true');
      assert.deepEqual(retry.body, first.body);
      assert.equal(headOf(server), before);
      assert.deepEqual((await previewOf(server, session.id)).previews.map((variant: Json) => variant.id), ['preview_main']);
    });

    it('answers 422 idempotency_key_reused for the same key with another body, writing nothing', async () => {
      const session = await createSession(server);
      const headers = { 'Idempotency-Key': 'attach-reused' };
      const first = await attach(server, session.id, { path: mainWav }, headers);
      assert.equal(first.status, 201, first.text);
      const before = await quietHeadOf(server, session.id);

      const other = await attach(server, session.id, { path: altWav }, headers);

      assertError(other, 422, 'idempotency_key_reused');
      assert.equal(other.headers['idempotent-replayed'], undefined);
      assert.equal(headOf(server), before);
      assert.equal((await previewOf(server, session.id)).previews.length, 1);
    });

    it('refuses a malformed Idempotency-Key on attach with 400 invalid_request, writing nothing', async () => {
      const session = await createSession(server);
      const before = headOf(server);

      for (const key of ['has a space', 'k'.repeat(256)]) {
        assertError(await attach(server, session.id, { path: mainWav }, { 'Idempotency-Key': key }), 400, 'invalid_request', /Idempotency-Key/);
      }

      assert.equal(headOf(server), before);
    });

    it('does not spend a key on a refused attach: the valid retry under it is written', async () => {
      const session = await createSession(server);
      const headers = { 'Idempotency-Key': 'attach-first-try-invalid' };
      assertError(await attach(server, session.id, { path: 'relative.wav' }, headers), 400, 'invalid_request');
      const before = headOf(server);

      const valid = await attach(server, session.id, { path: mainWav }, headers);

      assert.equal(valid.status, 201, valid.text);
      assert.equal(valid.headers['idempotent-replayed'], undefined);
      assert.ok(headOf(server) > before);
    });
  });
  describe('guards on the preview routes', () => {
    const routes = (id: string): Array<[string, string, Json | undefined]> => [
      ['POST', `/sessions/${id}/previews`, { path: '/tmp/x.wav' }],
      ['DELETE', `/sessions/${id}/previews/preview_main`, undefined],
      ['GET', `/sessions/${id}/preview`, undefined],
      ['GET', `/sessions/${id}/preview/audio`, undefined],
      ['GET', `/sessions/${id}/waveform`, undefined],
      ['GET', `/sessions/${id}/waveform-notes`, undefined],
      ['PUT', `/sessions/${id}/waveform-notes`, { notes: [] }],
      ['PATCH', `/sessions/${id}/waveform-notes`, { notes: [] }],
    ];

    it('answers 401 unauthorized without a token and 403 disabled in disabled mode, on every preview route', async () => {
      const session = await createSession(server);
      await attachOk(server, session.id, { path: mainWav });
      for (const [method, path, json] of routes(session.id)) {
        assertError(await server.api(method, path, { json, token: null }), 401, 'unauthorized', 'Provide Authorization: Bearer <token>.');
        assertError(await server.api(method, path, { json, token: 'not-the-token' }), 401, 'unauthorized');
      }

      const disabled = track(await startTestServer({ mode: 'disabled' }));
      for (const [method, path, json] of routes(session.id)) {
        assertError(await disabled.api(method, path, { json }), 403, 'disabled', 'The Local API is disabled.');
      }
    });

    it('answers a wrong method on a preview path with 405 method_not_allowed and an Allow header', async () => {
      const session = await createSession(server);
      await attachOk(server, session.id, { path: mainWav });
      const cases: Array<[string, string, string[]]> = [
        ['PUT', `/sessions/${session.id}/previews`, ['POST']],
        ['GET', `/sessions/${session.id}/previews/preview_main`, ['DELETE']],
        ['POST', `/sessions/${session.id}/preview`, ['GET']],
        ['DELETE', `/sessions/${session.id}/preview/audio`, ['GET']],
        ['POST', `/sessions/${session.id}/waveform`, ['GET']],
        ['DELETE', `/sessions/${session.id}/waveform-notes`, ['GET', 'PUT', 'PATCH']],
      ];
      const before = await quietHeadOf(server, session.id);

      for (const [method, path, allowed] of cases) {
        const response = await server.api(method, path, { json: method === 'GET' || method === 'DELETE' ? undefined : {} });
        assertError(response, 405, 'method_not_allowed');
        const allow = String(response.headers.allow ?? '').split(/\s*,\s*/);
        for (const verb of allowed) assert.ok(allow.includes(verb), `${method} ${path}: Allow is ${response.headers.allow}`);
      }
      assert.equal(headOf(server), before);
    });
  });
});
