import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { NewEvent } from '../../events/envelope';
import { EventLog, LevelBackend } from '../../src/store';
import { readTokenFile } from '../../src/token';
import { assertHealthWithin, assertLogKeeps, assertMemoryUnder, idleHealthMs, slowestHealthDuring, type HealthTarget } from '../helpers/hardening';
import { httpCall, type HttpResponse } from '../helpers/http';
import { peakRssUntil } from '../helpers/load-sampling';
import { startServerProcess, type ServerProcess } from '../helpers/process';
import { newDataDir } from '../helpers/server';

/*
 * Issue 17, finding 7: history, ?at= and /events?sessionId= read a session's whole stream. As
 * found: a 10,000-event session, /history?limit=1 0.6 s, 40 at once over 20 s and 5.9 GB. Here: a
 * session of 4,001 events with 2,000-character notes (every tenth position another session's), and
 * rounds of 40 concurrent history pages, ?at= reads and /events?sessionId= seeks at random points.
 */

type Json = any;

const UPDATES = 4_000;
const NOTES_CHARS = 2_000;
const TITLE_CHANGE_AT = 2_000;
const CONCURRENT = 40;
const ROUNDS = 4;
const RSS_BOUND_MB = 350;
const ROUND_DEADLINE_MS = 20_000;
const SESSION = 'session_01JDXAMPLE0000000000000000';
const OTHER = 'session_01JDXAMPLE0000000000000001';

const meta = (index: number) => ({ at: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, index)).toISOString(), requestId: `seed-${index}`, actor: 'seed' });
const created = (title: string): NewEvent => ({
  type: 'SessionCreated',
  data: { title, kind: 'Ableton', status: 'draft', accent: 'default', tags: [], notes: '', client: null, projectPath: null },
});
const notesOf = (version: number) => `v${version} `.padEnd(NOTES_CHARS, 'n');

/** Seeds the log: the long session's versions and their positions (version v at positions[v - 1]). */
async function seed(dataDir: string): Promise<number[]> {
  const log = await EventLog.open(new LevelBackend(join(dataDir, 'log')));
  const positions: number[] = [];
  try {
    positions.push((await log.append(SESSION, 0, [created('Long story')], meta(0))).position);
    await log.append(OTHER, 0, [created('Neighbour')], meta(1));
    for (let version = 2; version <= UPDATES + 1; version += 9) {
      const events: NewEvent[] = [];
      for (let next = version; next < version + 9 && next <= UPDATES + 1; next += 1) {
        events.push(next === TITLE_CHANGE_AT ? { type: 'SessionUpdated', data: { title: 'Second act' } } : { type: 'SessionNotesReplaced', data: { notes: notesOf(next) } });
      }
      const appended = await log.append(SESSION, version - 1, events, meta(version));
      positions.push(...appended.events.map((event) => event.position));
      await log.append(OTHER, 'any', [{ type: 'SessionNotesReplaced', data: { notes: `between ${version}` } }], meta(version));
    }
  } finally {
    await log.close();
  }
  return positions;
}

describe('hardening: history, ?at= and ?sessionId= on a long stream (finding 7)', function () {
  this.timeout(180_000);
  let dataDir: string;
  let server: ServerProcess | undefined;
  let positions: number[];

  before(async function () {
    dataDir = newDataDir();
    positions = await seed(dataDir);
  });

  after(async function () {
    if (server && server.child.exitCode === null && server.child.signalCode === null) await server.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers pages, past states and seeks from the positions asked for, 40 at once, with /health within bound and memory bounded', async function () {
    server = await startServerProcess(['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir]);
    const token = readTokenFile(join(dataDir, 'token'));
    const target: HealthTarget = { baseUrl: server.baseUrl, token };
    const api = (method: string, path: string, json?: unknown): Promise<HttpResponse> => httpCall(`${server!.baseUrl}${path}`, method, { headers: { Authorization: `Bearer ${token}` }, json });
    const get = async (path: string): Promise<Json> => {
      const response = await api('GET', path);
      assert.equal(response.status, 200, `${path}: ${response.text.slice(0, 300)}`);
      return response.body;
    };
    const versions = positions.length;

    // What each read answers, checked once before the load.
    const first = await get(`/sessions/${SESSION}/history?limit=1`);
    assert.deepEqual([first.meta.total, first.data.length, first.data[0].version, first.data[0].type], [versions, 1, 1, 'SessionCreated']);
    const last = await get(`/sessions/${SESSION}/history?offset=${versions - 2}&limit=5`);
    assert.deepEqual(last.data.map((event: Json) => event.version), [versions - 1, versions]);
    assert.deepEqual((await get(`/sessions/${SESSION}/history?offset=${versions}`)).data, []);
    const before = await get(`/sessions/${SESSION}?at=${positions[TITLE_CHANGE_AT - 1] - 1}`);
    assert.deepEqual([before.data.title, before.data.version, before.data.notes], ['Long story', TITLE_CHANGE_AT - 1, notesOf(TITLE_CHANGE_AT - 1)]);
    const afterChange = await get(`/sessions/${SESSION}?at=${positions[TITLE_CHANGE_AT - 1]}`);
    assert.deepEqual([afterChange.data.title, afterChange.data.version], ['Second act', TITLE_CHANGE_AT]);
    assert.equal((await get(`/sessions/${SESSION}?at=${positions[versions - 1] + 5}`)).data.version, versions);
    const seek = await get(`/events?sessionId=${SESSION}&after=${positions[99]}&limit=3`);
    assert.deepEqual(seek.data.map((event: Json) => [event.version, event.position]), [101, 102, 103].map((version) => [version, positions[version - 1]]));
    assert.equal(seek.meta.next, positions[102]);
    const between = await get(`/events?sessionId=${SESSION}&after=${positions[99] + 1}&limit=1`);
    assert.equal(between.data[0].version, 101);
    assert.deepEqual((await get(`/events?sessionId=${SESSION}&after=${positions[versions - 1]}`)).data, []);
    const missing = await api('GET', `/sessions/${SESSION}?at=${positions[0] - 1}`);
    assert.equal(missing.status, 404, missing.text);

    const idleMs = await idleHealthMs(target);
    let random = 17;
    const next = (bound: number) => {
      random = (random * 1_103_515_245 + 12_345) % 2 ** 31;
      return random % bound;
    };
    const reads = (round: number) =>
      Array.from({ length: CONCURRENT }, (_, index) => {
        const version = 1 + next(versions);
        if (index % 3 === 0) return `/sessions/${SESSION}/history?limit=1&offset=${version - 1}`;
        if (index % 3 === 1) return `/sessions/${SESSION}?at=${positions[version - 1]}`;
        return `/events?sessionId=${SESSION}&after=${positions[version - 1] - 1}&limit=${1 + (round % 3)}`;
      });
    const acknowledged: string[] = [];
    const roundTimes: number[] = [];
    const attack = (async () => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const started = Date.now();
        const answers = await Promise.all(reads(round).map((path) => get(path)));
        roundTimes.push(Date.now() - started);
        assert.ok(answers.every((answer) => answer.data !== undefined));
        const created = await api('POST', '/sessions', { title: `Written during round ${round}` });
        assert.equal(created.status, 201, created.text);
        acknowledged.push(created.body.data.id);
      }
    })();
    const [{ slowestMs, samples }, peakRss] = await Promise.all([slowestHealthDuring(target, attack), peakRssUntil(server.child.pid!, attack)]);
    console.log(
      `      ${ROUNDS} rounds of ${CONCURRENT} reads on a ${versions}-event stream: ${roundTimes.join(', ')} ms; /health idle ${idleMs.toFixed(1)} ms, slowest ${slowestMs.toFixed(1)} ms over ${samples} calls; peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB`,
    );
    for (const ms of roundTimes) assert.ok(ms < ROUND_DEADLINE_MS, `a round of ${CONCURRENT} reads took ${ms} ms`);
    assertHealthWithin(slowestMs, idleMs);
    assertMemoryUnder(peakRss, RSS_BOUND_MB, 'server RSS during the reads');

    assert.equal(await server.stop(), 0);
    await assertLogKeeps(dataDir, [SESSION, OTHER, ...acknowledged]);
  });
});
