import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertError } from '../helpers/assertions';
import { sine, tempAudioDir, writeWav, type AudioDir } from '../helpers/audio';
import { eventually } from '../helpers/eventually';
import { readAllEvents, startTestServer, type TestServer } from '../helpers/server';

/*
 * Issue 18 item 2: a client that GETs a session (or its notes, tags or a lane of waveform notes),
 * edits a field and sends the whole object back. The server-managed fields it echoes are ignored
 * when they equal what the GET returned; a changed one is refused, naming it.
 */

type Json = Record<string, any>;

describe('fidelity: read-modify-write (issue 18 item 2, contract §5.1)', () => {
  let server: TestServer;
  let audio: AudioDir;

  const head = () => server.server.store.head().position;
  const eventsAfter = async (position: number) => (await readAllEvents(server)).filter((event) => event.position > position);
  const create = async (body: Json = { title: 'Round trip', tags: ['mix'], client: 'Label' }) => {
    const response = await server.api('POST', '/sessions', { json: body });
    assert.equal(response.status, 201, response.text);
    return response.body.data as Json;
  };
  const staleVersionMessage = (version: number) =>
    `version is read-only: the body says ${version} but the session is at version ${version + 1}, so it has changed since it was read. Read it again and apply your change to what it is now.`;
  const get = async (path: string) => {
    const response = await server.api('GET', path);
    assert.equal(response.status, 200, response.text);
    return response.body.data as Json;
  };

  before(async () => {
    audio = tempAudioDir();
    const scratch = audio.file('bin');
    mkdirSync(scratch);
    const opener = join(scratch, 'opener');
    writeFileSync(opener, '#!/bin/sh\nexit 0\n');
    chmodSync(opener, 0o755);
    server = await startTestServer({ opener });
  });

  after(async () => {
    await server?.dispose();
    audio?.cleanup();
  });

  describe('PATCH /sessions/{id} with the whole object the GET returned', () => {
    it('writes the edited field alone: 200, one SessionUpdated holding only the title', async () => {
      const { id } = await create();
      const session = await get(`/sessions/${id}`);
      const before = head();

      const response = await server.api('PATCH', `/sessions/${id}`, { json: { ...session, title: 'Edited title' } });

      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.data.title, 'Edited title');
      assert.equal(response.body.data.version, session.version + 1);
      const appended = await eventsAfter(before);
      assert.deepEqual(
        appended.map(({ type, data }) => ({ type, data })),
        [{ type: 'SessionUpdated', data: { title: 'Edited title' } }],
      );
    });

    it('after a preview was attached and analysed, and after open set lastOpened: still 200', async () => {
      const projectPath = audio.file('Project A');
      mkdirSync(projectPath);
      const { id } = await create({ title: 'With preview', projectPath });
      const attached = await server.api('POST', `/sessions/${id}/previews`, { json: { path: writeWav(audio.file('mix.wav'), sine({ durationS: 0.2 })) } });
      assert.equal(attached.status, 201, attached.text);
      await eventually(() => get(`/sessions/${id}`), (session) => session.previewStatus === 'ready', 'the preview analysed');
      const opened = await server.api('POST', `/sessions/${id}/open`);
      assert.equal(opened.status, 200, opened.text);
      const session = await get(`/sessions/${id}`);
      assert.notEqual(session.lastOpened, null);
      assert.equal(session.previews.length, 1);

      const response = await server.api('PATCH', `/sessions/${id}`, { json: { ...session, status: 'review', notes: 'Bounce again' } });

      assert.equal(response.status, 200, response.text);
      const { lastOpened, previews, preferredPreviewId, version, ...rest } = response.body.data;
      assert.deepEqual({ lastOpened, previews, preferredPreviewId, version }, { lastOpened: session.lastOpened, previews: session.previews, preferredPreviewId: session.preferredPreviewId, version: session.version + 1 });
      assert.equal(rest.status, 'review');
      assert.equal(rest.notes, 'Bounce again');
    });

    it('the object sent back unchanged writes nothing: 200, no event', async () => {
      const { id } = await create();
      const session = await get(`/sessions/${id}`);
      const before = head();

      const response = await server.api('PATCH', `/sessions/${id}`, { json: session });

      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body.data, session);
      assert.equal(head(), before);
    });

    it('compares JSON-equal values whatever their key order (the previews list as another language serialises it)', async () => {
      const { id } = await create();
      const attached = await server.api('POST', `/sessions/${id}/previews`, { json: { path: writeWav(audio.file('order.wav'), sine({ durationS: 0.2 })) } });
      assert.equal(attached.status, 201, attached.text);
      const session = await eventually(() => get(`/sessions/${id}`), (each) => each.previewStatus === 'ready', 'the preview analysed');
      const reordered = session.previews.map((variant: Json) => Object.fromEntries(Object.entries(variant).reverse()));

      const response = await server.api('PATCH', `/sessions/${id}`, { json: { version: session.version, previews: reordered, id, title: 'Reordered' } });

      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.data.title, 'Reordered');
    });

    it('preferredPreviewId, which PATCH may write, echoed as null without previews is ignored; edited, it chooses the variant', async () => {
      const { id } = await create();
      const bare = await get(`/sessions/${id}`);
      assert.equal(bare.preferredPreviewId, null);
      const echoedNull = await server.api('PATCH', `/sessions/${id}`, { json: { ...bare, title: 'Still no preview' } });
      assert.equal(echoedNull.status, 200, echoedNull.text);
      for (const name of ['first.wav', 'second.wav']) {
        const attached = await server.api('POST', `/sessions/${id}/previews`, { json: { path: writeWav(audio.file(name), sine({ durationS: 0.2 })) } });
        assert.equal(attached.status, 201, attached.text);
      }
      const session = await eventually(() => get(`/sessions/${id}`), (each) => each.previews.every((variant: Json) => variant.status === 'ready'), 'both previews analysed');
      assert.equal(session.preferredPreviewId, 'preview_first');

      const chosen = await server.api('PATCH', `/sessions/${id}`, { json: { ...session, preferredPreviewId: 'preview_second' } });

      assert.equal(chosen.status, 200, chosen.text);
      assert.equal(chosen.body.data.preferredPreviewId, 'preview_second');
      const unknown = await server.api('PATCH', `/sessions/${id}`, { json: { ...chosen.body.data, preferredPreviewId: 'preview_third' } });
      assertError(unknown, 400, 'invalid_request', "preferredPreviewId must name one of the session's preview variants.");
    });

    it('refuses a changed server-managed field, naming it: "id is read-only."', async () => {
      const { id } = await create();
      const other = await create({ title: 'Other' });
      const session = await get(`/sessions/${id}`);
      const before = head();

      const response = await server.api('PATCH', `/sessions/${id}`, { json: { ...session, id: other.id, title: 'Moved' } });

      assertError(response, 400, 'invalid_request', 'id is read-only.');
      assert.deepEqual(response.body.error.details, [{ field: '/id', message: 'is read-only' }]);
      assert.equal(head(), before);
    });

    it('refuses a changed timestamp or preview field the same way, every one listed', async () => {
      const { id } = await create();
      const session = await get(`/sessions/${id}`);

      const response = await server.api('PATCH', `/sessions/${id}`, { json: { ...session, createdAt: '2020-01-01T00:00:00Z', previewStatus: 'ready' } });

      assertError(response, 400, 'invalid_request', 'previewStatus is read-only.');
      assert.deepEqual(response.body.error.details, [
        { field: '/previewStatus', message: 'is read-only' },
        { field: '/createdAt', message: 'is read-only' },
      ]);
    });

    it('a session that changed since it was read: the stale version is named first, with the current one', async () => {
      const { id } = await create();
      const stale = await get(`/sessions/${id}`);
      const moved = await server.api('PATCH', `/sessions/${id}`, { json: { notes: 'Someone else' } });
      assert.equal(moved.status, 200, moved.text);
      const before = head();

      const response = await server.api('PATCH', `/sessions/${id}`, { json: { ...stale, title: 'Mine' } });

      assertError(response, 400, 'invalid_request', staleVersionMessage(stale.version));
      // Timestamps are whole seconds: a change within the second the copy was read leaves updatedAt as it was.
      const current = await get(`/sessions/${id}`);
      assert.deepEqual(response.body.error.details, [
        { field: '/version', message: `is read-only: the session is at version ${stale.version + 1}` },
        ...(current.updatedAt === stale.updatedAt ? [] : [{ field: '/updatedAt', message: 'is read-only' }]),
      ]);
      assert.equal(head(), before);
    });

    it('a copy read in an earlier second: the stale version first, then its updatedAt', async () => {
      const { id } = await create();
      const stale: Json = { ...(await get(`/sessions/${id}`)), updatedAt: '2025-01-15T12:34:56Z' };
      assert.equal((await server.api('PATCH', `/sessions/${id}`, { json: { notes: 'Someone else' } })).status, 200);

      const response = await server.api('PATCH', `/sessions/${id}`, { json: { ...stale, title: 'Mine' } });

      assertError(response, 400, 'invalid_request', staleVersionMessage(stale.version));
      assert.deepEqual(response.body.error.details, [
        { field: '/version', message: `is read-only: the session is at version ${stale.version + 1}` },
        { field: '/updatedAt', message: 'is read-only' },
      ]);
    });

    it('a version that is not a number is named without quoting it', async () => {
      const { id } = await create();

      const response = await server.api('PATCH', `/sessions/${id}`, { json: { version: 'latest', title: 'x' } });

      assertError(response, 400, 'invalid_request', 'version is read-only: the session is at version 1, so it has changed since it was read. Read it again and apply your change to what it is now.');
    });

    it('a session deleted since it was read: 404 session not found, not a read-only complaint', async () => {
      const { id } = await create();
      const session = await get(`/sessions/${id}`);
      assert.equal((await server.api('DELETE', `/sessions/${id}`)).status, 200);

      const response = await server.api('PATCH', `/sessions/${id}`, { json: { ...session, title: 'Too late' } });

      assertError(response, 404, 'not_found', 'session not found');
    });

    it('the rest of the body is still validated: an echoed object with a bad field is 400 for that field', async () => {
      const { id } = await create();
      const session = await get(`/sessions/${id}`);

      const response = await server.api('PATCH', `/sessions/${id}`, { json: { ...session, colour: 'red' } });

      assertError(response, 400, 'invalid_request', 'colour is not a known field.');
    });

    it('create (POST) still refuses server-managed fields, even ones a GET would show', async () => {
      const session = await get(`/sessions/${(await create()).id}`);
      const { id, version, title } = session;

      const response = await server.api('POST', '/sessions', { json: { id, version, title } });

      assertError(response, 400, 'invalid_request', 'id is read-only.');
      assert.deepEqual(response.body.error.details, [
        { field: '/id', message: 'is read-only' },
        { field: '/version', message: 'is read-only' },
      ]);
    });
  });

  describe('notes and tags bodies that echo the id their GET returned', () => {
    for (const method of ['PUT', 'PATCH']) {
      it(`${method} /sessions/{id}/notes with {id, notes}: 200; another id: 400 "id is read-only."`, async () => {
        const { id } = await create();
        const notes = await get(`/sessions/${id}/notes`);

        const response = await server.api(method, `/sessions/${id}/notes`, { json: { ...notes, notes: 'Edited notes' } });

        assert.equal(response.status, 200, response.text);
        assert.deepEqual(response.body.data, { id, notes: 'Edited notes' });
        const other = await create({ title: 'Other' });
        const refused = await server.api(method, `/sessions/${id}/notes`, { json: { id: other.id, notes: 'x' } });
        assertError(refused, 400, 'invalid_request', 'id is read-only.');
        assert.deepEqual(refused.body.error.details, [{ field: '/id', message: 'is read-only' }]);
      });

      it(`${method} /sessions/{id}/tags with {id, tags}: 200; another id: 400 "id is read-only."`, async () => {
        const { id } = await create();
        const tags = await get(`/sessions/${id}/tags`);

        const response = await server.api(method, `/sessions/${id}/tags`, { json: { ...tags, tags: [...tags.tags, 'master'] } });

        assert.equal(response.status, 200, response.text);
        assert.deepEqual(response.body.data, { id, tags: ['mix', 'master'] });
        const refused = await server.api(method, `/sessions/${id}/tags`, { json: { id: 'session_01ARZ3NDEKTSV4RRFFQ69G5FAV', tags: [] } });
        assertError(refused, 400, 'invalid_request', 'id is read-only.');
      });
    }
  });

  describe('waveform notes bodies that echo the lane their GET returned', () => {
    it('PUT with {sessionId, variantId, key, notes}: 200; another key: 400 "key is read-only."', async () => {
      const { id } = await create();
      const lane = await get(`/sessions/${id}/waveform-notes`);
      assert.deepEqual(lane, { sessionId: id, variantId: 'main', key: `${id}:main`, notes: [] });

      const response = await server.api('PUT', `/sessions/${id}/waveform-notes`, { json: { ...lane, notes: [{ timestamp: 1.5, text: 'Kick too loud' }] } });

      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.data.notes[0].text, 'Kick too loud');
      const written = response.body.data;
      const again = await server.api('PATCH', `/sessions/${id}/waveform-notes`, { json: { ...written, notes: [...written.notes, { timestamp: 3, text: 'Snare' }] } });
      assert.equal(again.status, 200, again.text);
      assert.equal(again.body.data.notes.length, 2);

      const refused = await server.api('PUT', `/sessions/${id}/waveform-notes`, { json: { ...lane, key: `${id}:other` } });
      assertError(refused, 400, 'invalid_request', 'key is read-only.');
      assert.deepEqual(refused.body.error.details, [{ field: '/key', message: 'is read-only' }]);
    });
  });
});
