import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnapshotFiles } from '../../projections/snapshots';
import { snapshotDirectory } from '../../src/server';
import { sine, tempAudioDir, writeWav, type AudioDir } from '../helpers/audio';
import { eventually } from '../helpers/eventually';
import { newDataDir, readAllEvents, startTestServer, type TestServer } from '../helpers/server';

/*
 * Issue 18, item 6: a Swift app decoding SessionDock's objects with the default
 * ISO8601DateFormatter (no fractional seconds) failed on every `createdAt` we sent
 * (`…:56.789Z`). The docs print `2025-01-15T12:34:56Z`: whole seconds, UTC.
 */

/** What a strict RFC 3339 parser without fractions (Swift's default) accepts. */
const WHOLE_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
/** Anything that looks like a timestamp at all. */
const TIMESTAMP_LIKE = /^\d{4}-\d{2}-\d{2}T/;

/** Every timestamp-like string in a response body, with where it is; the walk is bounded by the body the test asked for. */
function timestampsIn(value: unknown, path = ''): Array<[string, string]> {
  if (typeof value === 'string') return TIMESTAMP_LIKE.test(value) ? [[path, value]] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => timestampsIn(item, `${path}[${index}]`));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => timestampsIn(item, `${path}.${key}`));
  return [];
}

/** Asserts every timestamp in `body` is in whole seconds; returns how many it saw, so a test can insist there were some. */
function assertWholeSeconds(body: unknown, route: string): number {
  const found = timestampsIn(body);
  for (const [path, value] of found) assert.match(value, WHOLE_SECONDS, `${route}: ${path} is ${value}`);
  return found.length;
}

/** A clock the test moves: every write the server makes reads it. */
function fixedClock(iso: string) {
  let current = Date.parse(iso);
  return {
    now: () => new Date(current),
    set(to: string) {
      current = Date.parse(to);
    },
  };
}

const DAY_MS = 86_400_000;

describe('fidelity: timestamps as the docs print them (issue 18, item 6)', () => {
  const servers: TestServer[] = [];
  const scratch: string[] = [];
  let audio: AudioDir;
  const track = (server: TestServer) => (servers.push(server), server);
  const projectDirectory = () => {
    const path = mkdtempSync(join(tmpdir(), 'sessiondock-project-'));
    scratch.push(path);
    return path;
  };

  before(() => {
    audio = tempAudioDir();
  });

  afterEach(async () => {
    for (const server of servers.splice(0)) await server.dispose();
    for (const path of scratch.splice(0)) rmSync(path, { recursive: true, force: true });
  });

  after(() => audio.cleanup());

  it('a Swift client decoding with a strict ISO 8601 parser reads every session, preview, note and import route; the log keeps milliseconds', async () => {
    const clock = fixedClock('2025-01-15T12:34:56.789Z');
    const server = track(await startTestServer({ opener: '/bin/true' }, { now: clock.now }));
    const wav = writeWav(audio.file('mix.wav'), sine({ durationS: 0.2 }));
    let seen = 0;
    const check = async (method: string, path: string, json?: unknown, expectStatus = 200) => {
      const response = await server.api(method, path, json === undefined ? {} : { json });
      assert.equal(response.status, expectStatus, `${method} ${path}: ${response.text}`);
      seen += assertWholeSeconds(response.body, `${method} ${path}`);
      return response.body;
    };

    const created = (await check('POST', '/sessions', { title: 'Song A', projectPath: projectDirectory() }, 201)).data;
    assert.equal(created.createdAt, '2025-01-15T12:34:56Z');
    assert.equal(created.updatedAt, '2025-01-15T12:34:56Z');
    const id: string = created.id;
    clock.set('2025-01-15T12:35:07.450Z');
    assert.equal((await check('PATCH', `/sessions/${id}`, { status: 'review' })).data.updatedAt, '2025-01-15T12:35:07Z');
    await check('PUT', `/sessions/${id}/notes`, { notes: 'Brighter synth stem.' });
    await check('PUT', `/sessions/${id}/tags`, { tags: ['mix'] });
    clock.set('2025-01-15T12:36:00.999Z');
    await check('POST', `/sessions/${id}/open`);
    await check('POST', `/sessions/${id}/previews`, { path: wav, id: 'preview_main' }, 201);
    await eventually(() => server.api('GET', `/sessions/${id}/preview`), (response) => response.body.data.previewStatus !== 'pending', 'the preview analysed');
    await check('GET', `/sessions/${id}/preview`);
    clock.set('2025-01-15T12:40:00.001Z');
    const lane = (await check('PUT', `/sessions/${id}/waveform-notes`, { notes: [{ timestamp: 12.5, text: 'Drop starts here' }] })).data;
    assert.equal(lane.notes[0].createdAt, '2025-01-15T12:40:00Z');
    await check('PATCH', `/sessions/${id}/waveform-notes`, { notes: [{ ...lane.notes[0], text: 'Drop' }] });
    await check('GET', `/sessions/${id}/waveform-notes`);

    const one = (await check('GET', `/sessions/${id}`)).data;
    assert.deepEqual([one.createdAt, one.updatedAt, one.lastOpened], ['2025-01-15T12:34:56Z', '2025-01-15T12:36:00Z', '2025-01-15T12:36:00Z']);
    await check('GET', '/sessions');
    await check('GET', '/sessions?recent=true&sort=lastOpened');
    // Time travel answers a past session as GET does.
    const past = (await check('GET', `/sessions/${id}?at=1`)).data;
    assert.equal(past.updatedAt, '2025-01-15T12:34:56Z');

    const started = (await check('POST', '/import', { items: [{ projectPath: '/imports/Song B.als' }] }, 202)).data;
    await eventually(() => server.api('GET', `/import/${started.importId}`), (response) => response.body.data.done === true, 'the import done');
    await check('GET', '/import');
    await check('GET', `/import/${started.importId}`);
    await check('PATCH', `/sessions/${id}/notes`, { notes: 'Darker.' });
    await check('PATCH', `/sessions/${id}/tags`, { tags: ['mix', 'vocals'] });
    await check('DELETE', `/sessions/${id}/previews/preview_main`);
    await check('GET', '/health');
    await check('DELETE', `/sessions/${id}`);
    assert.ok(seen >= 20, `only ${seen} timestamps were checked`);

    // The log is the audit record: its own time keeps the milliseconds.
    const events = await server.api('GET', '/events?after=0&limit=100');
    assert.equal(events.body.data[0].meta.at, '2025-01-15T12:34:56.789Z');
    const history = await server.api('GET', `/sessions/${id}/history`);
    assert.equal(history.body.data[1].meta.at, '2025-01-15T12:35:07.450Z');
  });

  it('sessions showing the same second are listed by id in every order, and the order agrees with the values shown', async () => {
    const clock = fixedClock('2025-01-15T12:34:56.100Z');
    const server = track(await startTestServer({ opener: '/bin/true' }, { now: clock.now }));
    // Created in this order, so ids ascend A, B, C; their milliseconds run against the ids.
    const ids: string[] = [];
    for (const [title, at] of [['A', '2025-01-15T12:34:56.100Z'], ['B', '2025-01-15T12:34:56.900Z'], ['C', '2025-01-15T12:34:56.500Z']]) {
      clock.set(at);
      ids.push((await server.api('POST', '/sessions', { json: { title, projectPath: projectDirectory() } })).body.data.id);
    }
    assert.deepEqual([...ids].sort(), ids);
    const listed = async (query: string) => (await server.api('GET', `/sessions?${query}`)).body.data as Array<{ id: string; updatedAt: string; createdAt: string; lastOpened: string | null }>;

    for (const query of ['sort=updatedAt', 'sort=updatedAt&order=asc', 'sort=createdAt', 'sort=createdAt&order=asc', '']) {
      const sessions = await listed(query);
      assert.deepEqual(new Set(sessions.map((session) => session.updatedAt)), new Set(['2025-01-15T12:34:56Z']), query);
      assert.deepEqual(sessions.map((session) => session.id), ids, `?${query}: equal timestamps, so by id`);
    }

    // Opened in the same second, latest millisecond first: lastOpened ties too.
    for (const [index, at] of [[2, '2025-01-15T13:00:00.050Z'], [1, '2025-01-15T13:00:00.600Z'], [0, '2025-01-15T13:00:00.950Z']] as const) {
      clock.set(at);
      assert.equal((await server.api('POST', `/sessions/${ids[index]}/open`)).status, 200);
    }
    for (const query of ['sort=lastOpened', 'sort=lastOpened&order=asc', '']) {
      const sessions = await listed(query);
      assert.deepEqual(sessions.map((session) => session.lastOpened), Array(3).fill('2025-01-15T13:00:00Z'), query);
      assert.deepEqual(sessions.map((session) => session.id), ids, `?${query}: equal lastOpened, so by id`);
    }

    // A later second still wins over the id: the order agrees with the values in both directions.
    clock.set('2025-01-15T13:00:01.000Z');
    await server.api('POST', `/sessions/${ids[2]}/open`);
    assert.deepEqual((await listed('sort=lastOpened')).map((session) => session.id), [ids[2], ids[0], ids[1]]);
    assert.deepEqual((await listed('sort=lastOpened&order=asc')).map((session) => session.id), [ids[0], ids[1], ids[2]]);
  });

  it('recent=true keeps a session opened in the cut-off second and drops one opened the second before', async () => {
    const now = Date.parse('2025-03-01T09:00:00.500Z');
    // The cut-off instant is 30 days back at .500; sessions are shown, and filtered, to the second.
    const cutOff = now - 30 * DAY_MS;
    const clock = fixedClock(new Date(now).toISOString());
    const server = track(await startTestServer({ opener: '/bin/true', recentDays: 30 }, { now: clock.now }));
    const openAt = async (title: string, at: number) => {
      const id: string = (await server.api('POST', '/sessions', { json: { title, projectPath: projectDirectory() } })).body.data.id;
      clock.set(new Date(at).toISOString());
      assert.equal((await server.api('POST', `/sessions/${id}/open`)).status, 200);
      return id;
    };
    const inSecond = await openAt('Opened in the cut-off second, before its .500', cutOff - 300);
    const atSecondStart = await openAt('Opened at the cut-off second itself', cutOff - 500);
    const secondBefore = await openAt('Opened the second before', cutOff - 501);
    const after = await openAt('Opened after', cutOff + 1000);
    clock.set(new Date(now).toISOString());

    const response = await server.api('GET', '/sessions?recent=true&sort=lastOpened&order=asc');
    assert.equal(response.status, 200);
    const shown = response.body.data.map((session: { id: string; lastOpened: string }) => [session.id, session.lastOpened]);
    // Ties in the cut-off second by id: inSecond was created first.
    assert.deepEqual(shown, [
      [inSecond, '2025-01-30T09:00:00Z'],
      [atSecondStart, '2025-01-30T09:00:00Z'],
      [after, '2025-01-30T09:00:01Z'],
    ]);
    assert.equal(response.body.meta.total, 3);
    assert.ok(!shown.some(([id]: string[]) => id === secondBefore));
    const all = await server.api('GET', '/sessions?sort=lastOpened&order=asc');
    assert.equal(all.body.data.find((session: { id: string }) => session.id === secondBefore).lastOpened, '2025-01-30T08:59:59Z');
  });

  it('read models saved before whole seconds (milliseconds in their snapshots) are rebuilt from the log at start', async () => {
    const dataDir = newDataDir();
    const clock = fixedClock('2025-01-15T12:34:56.789Z');
    const first = await startTestServer({}, { dataDir, now: clock.now });
    const ids: string[] = [];
    for (const title of ['Song A', 'Song B']) ids.push((await first.api('POST', '/sessions', { json: { title } })).body.data.id);
    clock.set('2025-01-15T12:35:00.250Z');
    assert.equal((await first.api('PUT', `/sessions/${ids[0]}/waveform-notes`, { json: { notes: [{ timestamp: 1, text: 'Intro' }] } })).status, 200);
    const events = await readAllEvents(first);
    await first.stop();

    // Written as the previous build's folds wrote them: their versions, the log's milliseconds.
    const files = new SnapshotFiles(snapshotDirectory(dataDir));
    const sessions = files.read('sessions')!;
    const notes = files.read('waveform-notes')!;
    const atOf = (id: string) => events.find((event) => event.streamId === id && event.version === 1)!.meta.at;
    await files.write({ ...sessions, version: 2, data: sessions.data.map((state: any) => ({ ...state, createdAt: atOf(state.id), updatedAt: atOf(state.id) })) });
    await files.write({
      ...notes,
      version: 1,
      data: notes.data.map(([sessionId, lane, lane_notes]: any) => [sessionId, lane, lane_notes.map((note: any) => ({ ...note, createdAt: '2025-01-15T12:35:00.250Z', updatedAt: '2025-01-15T12:35:00.250Z' }))]),
    });
    assert.equal(atOf(ids[0]), '2025-01-15T12:34:56.789Z');

    const second = track(await startTestServer({}, { dataDir }));
    const replayed = second.server.projections.appliedSinceStart();
    assert.equal(replayed.sessions, events.length, 'the sessions model was folded again from the log');
    assert.equal(replayed['waveform-notes'], events.length, 'the notes model was folded again from the log');
    const session = await second.api('GET', `/sessions/${ids[1]}`);
    assert.deepEqual([session.body.data.createdAt, session.body.data.updatedAt], ['2025-01-15T12:34:56Z', '2025-01-15T12:34:56Z']);
    const lane = await second.api('GET', `/sessions/${ids[0]}/waveform-notes`);
    assert.deepEqual([lane.body.data.notes[0].createdAt, lane.body.data.notes[0].updatedAt], ['2025-01-15T12:35:00Z', '2025-01-15T12:35:00Z']);
    assert.ok(assertWholeSeconds((await second.api('GET', '/sessions')).body, 'GET /sessions') >= 4);
  });
});
