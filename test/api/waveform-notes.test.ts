import assert from 'node:assert/strict';
import { assertError } from '../helpers/assertions';
import { sine, tempAudioDir, writeWav, type AudioDir } from '../helpers/audio';
import type { HttpResponse } from '../helpers/http';
import { newDataDir, startTestServer, type TestServer } from '../helpers/server';

/*
 * Waveform notes: GET | PUT | PATCH /sessions/{id}/waveform-notes?variantId= (contract §6): one lane of
 * timestamped notes per session and variant, key `<sessionId>:<variantId>`, replaced whole by PUT and
 * PATCH, with server-assigned ids, kept ids and createdAt, updatedAt moved only on change, sorted by timestamp.
 */

type Json = Record<string, any>;

const READ_ONLY = 'Enable Full Automation to perform this action.';
const UNKNOWN_ID = 'session_01ARZ3NDEKTSV4RRFFQ69G5FAV';
const DOCS_BODY = { notes: [{ timestamp: 12.5, text: 'Drop starts here' }, { timestamp: 18.0, text: 'Mute the riser' }] };
const NOTE_KEYS = ['createdAt', 'id', 'text', 'timestamp', 'updatedAt'];

/** Waits (without a fixed sleep) until the wall clock has passed `iso`, so a later write gets a later timestamp. */
/** Waits until the clock has left the second `iso` shows (timestamps are whole seconds), so a write now shows a later one. */
async function untilClockPasses(iso: string): Promise<void> {
  const secondEnds = Date.parse(iso) + 1000;
  while (Date.now() < secondEnds) await new Promise((resolve) => setTimeout(resolve, Math.min(20, secondEnds - Date.now())));
}

function assertLane(response: HttpResponse, sessionId: string, variantId: string): Json[] {
  assert.equal(response.status, 200, response.text);
  assert.match(String(response.headers['content-type']), /^application\/json;\s*charset=utf-8$/i);
  assert.deepEqual(Object.keys(response.body), ['data']);
  const data = response.body.data;
  assert.deepEqual(Object.keys(data).sort(), ['key', 'notes', 'sessionId', 'variantId']);
  assert.equal(data.sessionId, sessionId);
  assert.equal(data.variantId, variantId);
  assert.equal(data.key, `${sessionId}:${variantId}`);
  assert.ok(Array.isArray(data.notes));
  for (const note of data.notes) {
    assert.deepEqual(Object.keys(note).sort(), NOTE_KEYS);
    assert.match(note.id, /^note_\S+$/);
    assert.ok(!Number.isNaN(Date.parse(note.createdAt)) && note.createdAt.endsWith('Z'), `createdAt ${note.createdAt}`);
    assert.ok(!Number.isNaN(Date.parse(note.updatedAt)) && note.updatedAt.endsWith('Z'), `updatedAt ${note.updatedAt}`);
    assert.ok(note.updatedAt >= note.createdAt);
  }
  const timestamps = data.notes.map((note: Json) => note.timestamp);
  assert.deepEqual(timestamps, [...timestamps].sort((a, b) => a - b), 'notes are not sorted by timestamp');
  return data.notes;
}

describe('API: waveform notes (contract §6)', () => {
  const servers: TestServer[] = [];
  const track = (server: TestServer) => (servers.push(server), server);
  let server: TestServer;
  let audio: AudioDir;
  let mainWav: string;
  let altWav: string;

  async function createSession(target: TestServer = server, title = 'Notes'): Promise<string> {
    const response = await target.api('POST', '/sessions', { json: { title } });
    assert.equal(response.status, 201, response.text);
    return response.body.data.id;
  }

  async function attach(sessionId: string, path: string, id: string, target: TestServer = server): Promise<void> {
    const response = await target.api('POST', `/sessions/${sessionId}/previews`, { json: { path, id } });
    assert.equal(response.status, 201, response.text);
  }

  /** The docs' session: one variant, preview_main. */
  async function docsSession(target: TestServer = server): Promise<string> {
    const id = await createSession(target);
    await attach(id, mainWav, 'preview_main', target);
    return id;
  }

  const notesPath = (id: string, variantId?: string) => `/sessions/${id}/waveform-notes${variantId === undefined ? '' : `?variantId=${variantId}`}`;
  const getNotes = (id: string, variantId?: string, target: TestServer = server) => target.api('GET', notesPath(id, variantId));
  const putNotes = (id: string, body: unknown, variantId?: string, method = 'PUT', target: TestServer = server) =>
    target.api(method, notesPath(id, variantId), { json: body });

  before(() => {
    audio = tempAudioDir();
    mainWav = writeWav(audio.file('main.wav'), sine({ durationS: 0.3 }));
    altWav = writeWav(audio.file('alt.wav'), sine({ durationS: 0.3, amplitude: 0.25 }));
  });

  after(() => audio.cleanup());

  beforeEach(async () => {
    server = track(await startTestServer());
  });

  afterEach(async () => {
    while (servers.length > 0) await servers.pop()!.dispose();
  });

  describe('reading lanes', () => {
    it('reads the empty main lane of a session without previews', async () => {
      const id = await createSession();

      const notes = assertLane(await getNotes(id), id, 'main');

      assert.deepEqual(notes, []);
    });

    it("reads the preferred variant's lane without variantId, another variant's with it", async () => {
      const id = await docsSession();
      await attach(id, altWav, 'preview_alt');

      assert.deepEqual(assertLane(await getNotes(id), id, 'preview_main'), []);
      assert.deepEqual(assertLane(await getNotes(id, 'preview_alt'), id, 'preview_alt'), []);
    });

    it('answers 404 not_found for a variantId naming no variant, an unknown and a deleted session', async () => {
      const id = await docsSession();
      const bare = await createSession();
      const deleted = await docsSession();
      assert.equal((await putNotes(deleted, DOCS_BODY)).status, 200);
      assert.equal((await server.api('DELETE', `/sessions/${deleted}`)).status, 200);

      for (const method of ['GET', 'PUT', 'PATCH']) {
        const send = (target: string, variantId?: string) => server.api(method, notesPath(target, variantId), method === 'GET' ? {} : { json: DOCS_BODY });
        assertError(await send(id, 'preview_nope'), 404, 'not_found');
        assertError(await send(id, '..%2F..%2Fetc%2Fpasswd'), 404, 'not_found');
        assertError(await send(bare, 'preview_main'), 404, 'not_found');
        assertError(await send(UNKNOWN_ID), 404, 'not_found');
        assertError(await send(deleted), 404, 'not_found');
        assertError(await send(deleted, 'preview_main'), 404, 'not_found');
      }
    });
  });

  describe('replacing lanes', () => {
    it('stores the docs example: ids note_..., createdAt = updatedAt, sorted by timestamp; GET reads the same', async () => {
      const id = await docsSession();

      const response = await putNotes(id, DOCS_BODY);

      const notes = assertLane(response, id, 'preview_main');
      assert.deepEqual(
        notes.map((note) => [note.timestamp, note.text]),
        [[12.5, 'Drop starts here'], [18, 'Mute the riser']],
      );
      assert.notEqual(notes[0].id, notes[1].id);
      for (const note of notes) assert.equal(note.createdAt, note.updatedAt);
      assert.deepEqual((await getNotes(id)).body, response.body);
      assert.deepEqual((await getNotes(id, 'preview_main')).body, response.body);
    });

    it('editing one note keeps the other untouched and the edited one its id and createdAt, updatedAt moved', async () => {
      // Given the docs example stored
      const id = await docsSession();
      const [drop, riser] = assertLane(await putNotes(id, DOCS_BODY), id, 'preview_main');
      await untilClockPasses(drop.updatedAt);

      // When both notes are sent back with their ids (and their server timestamps), one text changed
      const response = await putNotes(id, {
        notes: [
          { ...riser },
          { id: drop.id, timestamp: drop.timestamp, text: 'Drop starts HERE', createdAt: drop.createdAt, updatedAt: drop.updatedAt },
        ],
      });

      // Then the unchanged note is exactly as it was and the edited one kept id and createdAt
      const [dropAfter, riserAfter] = assertLane(response, id, 'preview_main');
      assert.deepEqual(riserAfter, riser);
      assert.equal(dropAfter.id, drop.id);
      assert.equal(dropAfter.createdAt, drop.createdAt);
      assert.equal(dropAfter.text, 'Drop starts HERE');
      assert.ok(dropAfter.updatedAt > drop.updatedAt, `updatedAt ${dropAfter.updatedAt} did not move past ${drop.updatedAt}`);
    });

    it('moving a note (timestamp change) re-sorts the lane and moves its updatedAt', async () => {
      const id = await docsSession();
      const [drop, riser] = assertLane(await putNotes(id, DOCS_BODY), id, 'preview_main');
      await untilClockPasses(drop.updatedAt);

      const notes = assertLane(await putNotes(id, { notes: [{ id: drop.id, timestamp: 30, text: drop.text }, { id: riser.id, timestamp: riser.timestamp, text: riser.text }] }), id, 'preview_main');

      assert.deepEqual(notes.map((note) => note.id), [riser.id, drop.id]);
      assert.deepEqual(notes[0], riser);
      assert.equal(notes[1].timestamp, 30);
      assert.equal(notes[1].createdAt, drop.createdAt);
      assert.ok(notes[1].updatedAt > drop.updatedAt);
    });

    it('ignores createdAt and updatedAt sent in the body', async () => {
      const id = await docsSession();

      const notes = assertLane(
        await putNotes(id, { notes: [{ timestamp: 1, text: 'Forged', createdAt: '2001-01-01T00:00:00.000Z', updatedAt: '2002-02-02T00:00:00.000Z' }] }),
        id,
        'preview_main',
      );

      assert.notEqual(notes[0].createdAt, '2001-01-01T00:00:00.000Z');
      assert.notEqual(notes[0].updatedAt, '2002-02-02T00:00:00.000Z');
      assert.ok(Date.parse(notes[0].createdAt) > Date.parse('2020-01-01T00:00:00Z'));
    });

    it('treats an id the lane does not know as a new note with a server id', async () => {
      const id = await docsSession();

      const notes = assertLane(await putNotes(id, { notes: [{ id: 'note_made_up_by_client', timestamp: 3, text: 'New' }] }), id, 'preview_main');

      assert.equal(notes.length, 1);
      assert.notEqual(notes[0].id, 'note_made_up_by_client');
      assert.equal(notes[0].createdAt, notes[0].updatedAt);
    });

    it('sorts by timestamp whatever the order sent, and drops notes left out (replace, not merge)', async () => {
      const id = await docsSession();
      const first = assertLane(await putNotes(id, DOCS_BODY), id, 'preview_main');

      const notes = assertLane(
        await putNotes(id, { notes: [{ timestamp: 40, text: 'Outro' }, { id: first[0].id, timestamp: 12.5, text: 'Drop starts here' }, { timestamp: 0, text: 'Count-in' }] }),
        id,
        'preview_main',
      );

      assert.deepEqual(notes.map((note) => note.text), ['Count-in', 'Drop starts here', 'Outro']);
      assert.deepEqual(notes[1], first[0]);
      assert.ok(!notes.some((note) => note.id === first[1].id));
    });

    it('PATCH replaces the lane too', async () => {
      const id = await docsSession();
      assertLane(await putNotes(id, DOCS_BODY), id, 'preview_main');

      const notes = assertLane(await putNotes(id, { notes: [{ timestamp: 5, text: 'Only this' }] }, undefined, 'PATCH'), id, 'preview_main');

      assert.deepEqual(notes.map((note) => note.text), ['Only this']);
      assert.deepEqual(assertLane(await getNotes(id), id, 'preview_main'), notes);
    });

    it('an empty list clears the lane', async () => {
      const id = await docsSession();
      assertLane(await putNotes(id, DOCS_BODY), id, 'preview_main');

      assert.deepEqual(assertLane(await putNotes(id, { notes: [] }), id, 'preview_main'), []);
      assert.deepEqual(assertLane(await getNotes(id), id, 'preview_main'), []);
    });

    it('keeps lanes apart: per variant, per session, and the main lane of a session without previews', async () => {
      // Given two variants on one session, and a second session without previews
      const id = await docsSession();
      await attach(id, altWav, 'preview_alt');
      const bare = await createSession();

      // When each lane is written
      assertLane(await putNotes(id, { notes: [{ timestamp: 1, text: 'main lane' }] }), id, 'preview_main');
      assertLane(await putNotes(id, { notes: [{ timestamp: 2, text: 'alt lane' }] }, 'preview_alt'), id, 'preview_alt');
      assertLane(await putNotes(bare, { notes: [{ timestamp: 3, text: 'no previews' }] }), bare, 'main');

      // Then each reads its own
      assert.deepEqual(assertLane(await getNotes(id), id, 'preview_main').map((note) => note.text), ['main lane']);
      assert.deepEqual(assertLane(await getNotes(id, 'preview_alt'), id, 'preview_alt').map((note) => note.text), ['alt lane']);
      assert.deepEqual(assertLane(await getNotes(bare), bare, 'main').map((note) => note.text), ['no previews']);

      // And the default lane follows the preferred variant
      assert.equal((await server.api('PATCH', `/sessions/${id}`, { json: { preferredPreviewId: 'preview_alt' } })).status, 200);
      assert.deepEqual(assertLane(await getNotes(id), id, 'preview_alt').map((note) => note.text), ['alt lane']);
    });

    it('accepts the limits: timestamps 0 and 86,400, text of 1 and 2,000 characters, 1,000 notes', async () => {
      const id = await docsSession();

      const edges = assertLane(
        await putNotes(id, { notes: [{ timestamp: 86_400, text: 'x'.repeat(2000) }, { timestamp: 0, text: 'y' }] }),
        id,
        'preview_main',
      );
      assert.deepEqual(edges.map((note) => [note.timestamp, note.text.length]), [[0, 1], [86_400, 2000]]);

      const many = Array.from({ length: 1000 }, (_, i) => ({ timestamp: (i * 7919) % 86_400, text: `note ${i}` }));
      const notes = assertLane(await putNotes(id, { notes: many }), id, 'preview_main');
      assert.equal(notes.length, 1000);
      assert.equal(new Set(notes.map((note) => note.id)).size, 1000);
    });

    it('keeps the lanes across a restart', async () => {
      const dataDir = newDataDir();
      const first = track(await startTestServer({}, { dataDir }));
      const id = await docsSession(first);
      const stored = await putNotes(id, DOCS_BODY, undefined, 'PUT', first);
      assert.equal(stored.status, 200, stored.text);
      await first.stop();

      const second = track(await startTestServer({}, { dataDir }));

      assert.deepEqual((await getNotes(id, undefined, second)).body, stored.body);
    });
  });

  describe('refusals', () => {
    const note = { timestamp: 1, text: 'ok' };
    const invalid: Array<[string, unknown]> = [
      ['a negative timestamp', { notes: [{ timestamp: -1, text: 'x' }] }],
      ['a timestamp over 86,400', { notes: [{ timestamp: 86_400.5, text: 'x' }] }],
      ['a string timestamp', { notes: [{ timestamp: '12', text: 'x' }] }],
      ['a missing timestamp', { notes: [{ text: 'x' }] }],
      ['an empty text', { notes: [{ timestamp: 1, text: '' }] }],
      ['a text of 2,001 characters', { notes: [{ timestamp: 1, text: 'x'.repeat(2001) }] }],
      ['a text that is not a string', { notes: [{ timestamp: 1, text: 42 }] }],
      ['a missing text', { notes: [{ timestamp: 1 }] }],
      ['an unknown field on a note', { notes: [{ ...note, colour: 'red' }] }],
      ['a note that is not an object', { notes: ['Drop starts here'] }],
      ['1,001 notes', { notes: Array.from({ length: 1001 }, (_, i) => ({ timestamp: i, text: `n${i}` })) }],
      ['notes that is not an array', { notes: 'Drop starts here' }],
      ['notes null', { notes: null }],
      ['no notes field', {}],
      ['an unknown top-level field', { notes: [note], colour: 'red' }],
      ['another variantId than the lane it writes', { notes: [note], variantId: 'preview_other' }],
      ['an array body', [note]],
    ];
    for (const [what, body] of invalid) {
      it(`refuses ${what} with 400 invalid_request and keeps the lane`, async () => {
        const id = await docsSession();
        const before = assertLane(await putNotes(id, DOCS_BODY), id, 'preview_main');

        for (const method of ['PUT', 'PATCH']) {
          const response = await putNotes(id, body, undefined, method);
          assertError(response, 400, 'invalid_request');
          assert.ok(response.body.error.details.length > 0);
        }

        assert.deepEqual(assertLane(await getNotes(id), id, 'preview_main'), before);
      });
    }

    it('refuses a body that is not JSON (400 invalid_json, text/plain too) or not a JSON media type (415)', async () => {
      const id = await docsSession();

      const broken = await server.api('PUT', notesPath(id), { raw: '{"notes": [', headers: { 'Content-Type': 'application/json' } });
      const text = await server.api('PUT', notesPath(id), { raw: 'notes', headers: { 'Content-Type': 'text/plain' } });
      const xml = await server.api('PUT', notesPath(id), { raw: '<notes/>', headers: { 'Content-Type': 'application/xml' } });

      assertError(broken, 400, 'invalid_json', 'Request body must be valid JSON.');
      assertError(text, 400, 'invalid_json', 'Request body must be valid JSON.');
      assertError(xml, 415, 'unsupported_media_type');
    });

    it('refuses PUT and PATCH with 403 read_only in read-only mode; GET still reads the lane', async () => {
      // Given a lane written by a full-automation server
      const dataDir = newDataDir();
      const seeder = track(await startTestServer({}, { dataDir }));
      const id = await docsSession(seeder);
      const stored = await putNotes(id, DOCS_BODY, undefined, 'PUT', seeder);
      assert.equal(stored.status, 200, stored.text);
      await seeder.stop();

      // When the server restarts read-only
      const readOnly = track(await startTestServer({ mode: 'read-only' }, { dataDir }));

      // Then writes are refused, reads answer
      for (const method of ['PUT', 'PATCH']) {
        assertError(await putNotes(id, { notes: [] }, undefined, method, readOnly), 403, 'read_only', READ_ONLY);
        assertError(await putNotes(id, { notes: [] }, 'preview_main', method, readOnly), 403, 'read_only', READ_ONLY);
      }
      assert.deepEqual((await getNotes(id, undefined, readOnly)).body, stored.body);
    });
  });
});
