import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTokenFile } from '../../src/token';
import { eventually } from '../helpers/eventually';
import { assertHealthWithin, assertLogKeeps, assertMemoryUnder, idleHealthMs, type HealthTarget } from '../helpers/hardening';
import { httpCall, type HttpResponse } from '../helpers/http';
import { healthLatenciesUntil, peakRssUntil, percentile } from '../helpers/load-sampling';
import { startServerProcess, type ServerProcess } from '../helpers/process';
import { tempProjects, type ProjectTree } from '../helpers/projects';
import { newDataDir } from '../helpers/server';

/*
 * Issue 17, finding 5: one big folder imported under many spellings. The attack as found: 100,000
 * empty .wav files plus Bounces/ with 50,000, imported 2,000 times as /tmp/big, /tmp/./big ...
 * (every spelling made a session and stat'ed every file at once): /health 21-30 s, 4.7 GB. Here:
 * 20,000 + 10,000 files, one batch of 10,000 spellings with generatePreviews plus ten small
 * imports, interactive writes meanwhile; then 10,000 spellings killed part-way and resumed.
 */

type Json = any;

const TOP_FILES = 20_000;
const BOUNCES = 10_000;
/** As many as one import takes: the import then runs long enough for a /health p99 of a few hundred samples. */
const SPELLINGS = 10_000;
const SMALL_IMPORTS = 10;
const RESUMED_SPELLINGS = 10_000;
const KILL_AFTER = 1_000;
const HEALTH_P99_MS = 100;
const RSS_BOUND_MB = 350;

/** CPU time (user + system) process `pid` has used, in ms (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** The `index`th spelling of `folder` under `root`: ./ segments, d/../ detours, doubled and trailing slashes. */
function spelling(root: string, folder: string, index: number): string {
  const dots = './'.repeat(index % 50);
  const detours = 'd/../'.repeat(Math.floor(index / 50) % 40);
  const slashes = '/'.repeat(Math.floor(index / 2_000) % 5);
  return `${root}/${dots}${detours}${slashes}${folder}${index % 3 === 0 ? '/' : ''}`;
}

describe('hardening: a big folder imported under many spellings (finding 5)', function () {
  this.timeout(240_000);
  let tree: ProjectTree;
  let dataDir: string;
  let bigFolder: string;
  const running: ServerProcess[] = [];

  before(function () {
    tree = tempProjects();
    bigFolder = tree.folder('big');
    mkdirSync(join(bigFolder, 'Bounces'));
    for (let index = 0; index < TOP_FILES; index += 1) writeFileSync(join(bigFolder, `take-${index}.wav`), '');
    for (let index = 0; index < BOUNCES; index += 1) writeFileSync(join(bigFolder, 'Bounces', `bounce-${index}.wav`), '');
  });

  after(async function () {
    await Promise.all(running.splice(0).map((server) => (server.child.exitCode === null && server.child.signalCode === null ? server.stop('SIGKILL') : null)));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    tree.cleanup();
  });

  const serve = async () => {
    const server = await startServerProcess(['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir]);
    running.push(server);
    return server;
  };
  const headers = () => ({ Authorization: `Bearer ${readTokenFile(join(dataDir, 'token'))}` });
  const api = (server: ServerProcess, method: string, path: string, json?: unknown): Promise<HttpResponse> => httpCall(`${server.baseUrl}${path}`, method, { headers: headers(), json });
  const target = (server: ServerProcess): HealthTarget => ({ baseUrl: server.baseUrl, token: readTokenFile(join(dataDir, 'token')) });
  const statusOf = async (server: ServerProcess, importId: string): Promise<Json> => {
    const response = await api(server, 'GET', `/import/${importId}`);
    assert.equal(response.status, 200, response.text);
    return response.body.data;
  };
  const startImport = async (server: ServerProcess, paths: string[]): Promise<string> => {
    const accepted = await api(server, 'POST', '/import', { generatePreviews: true, items: paths.map((projectPath) => ({ projectPath })) });
    assert.equal(accepted.status, 202, accepted.text);
    return accepted.body.data.importId;
  };

  it('makes one session for every spelling of the folder, skips the rest, keeps /health p99 under 100 ms and memory bounded, and resumes a killed import without redoing it', async function () {
    dataDir = newDataDir();
    const root = tree.root;
    let server = await serve();
    const idleMs = await idleHealthMs(target(server));
    const idleP99 = percentile(await healthLatenciesUntil(target(server), Promise.resolve(), 200), 0.99);
    // The 100 ms, unless this shared machine is so busy that an idle server's p99 is already a sizeable part of it.
    const p99BoundMs = Math.max(HEALTH_P99_MS, 5 * idleP99);

    // The attack: one batch of 10,000 spellings with generatePreviews, then ten small imports of 20 more.
    const started = Date.now();
    const batchId = await startImport(server, Array.from({ length: SPELLINGS }, (_, index) => spelling(root, 'big', index)));
    const smallIds: string[] = [];
    for (let round = 0; round < SMALL_IMPORTS; round += 1) {
      smallIds.push(await startImport(server, Array.from({ length: 20 }, (_, index) => spelling(root, 'big', SPELLINGS + round * 20 + index))));
    }
    // Polled by the summaries (GET /import), not the item lists, so the watching costs the server little.
    const allDone = eventually(
      async () => (await api(server, 'GET', '/import?limit=20')).body.data as Json[],
      (summaries) => summaries.length === 1 + SMALL_IMPORTS && summaries.every((summary: Json) => summary.done),
      'every import done',
      120_000,
    );
    // Interactive writes meanwhile: each acknowledged create must be in the log at the end.
    const acknowledged: string[] = [];
    const writes = (async () => {
      for (let index = 0; index < 20; index += 1) {
        const created = await api(server, 'POST', '/sessions', { title: `During import ${index}` });
        assert.equal(created.status, 201, created.text);
        acknowledged.push(created.body.data.id);
      }
    })();
    const work = Promise.all([allDone, writes]);
    const cpuBefore = cpuMs(server.child.pid!);
    const [latencies, peakRss] = await Promise.all([healthLatenciesUntil(target(server), work), peakRssUntil(server.child.pid!, work), work]);
    const elapsedMs = Date.now() - started;
    const serverCpuMs = cpuMs(server.child.pid!) - cpuBefore;
    const slowestMs = Math.max(...latencies);
    const statuses = await Promise.all([batchId, ...smallIds].map((importId) => statusOf(server, importId)));

    // One session, for the folder as resolved; every other spelling skipped.
    const [batch, ...small] = statuses;
    assert.deepEqual([batch.total, batch.completed, batch.failed, batch.skipped], [SPELLINGS, 1, 0, SPELLINGS - 1], JSON.stringify({ ...batch, items: batch.items.slice(0, 3) }));
    assert.equal(batch.items[0].outcome, 'created');
    for (const status of small) assert.deepEqual([status.completed, status.failed, status.skipped], [0, 0, 20]);
    const session = await api(server, 'GET', `/sessions/${batch.items[0].sessionId}`);
    assert.equal(session.status, 200, session.text);
    assert.equal(session.body.data.projectPath, bigFolder);
    const listed = await api(server, 'GET', '/sessions?limit=1');
    assert.equal(listed.body.meta.total, 1 + acknowledged.length);

    assert.ok(latencies.length >= 100, `only ${latencies.length} /health samples during the import: too few for a p99`);
    const p99 = percentile(latencies, 0.99);
    console.log(
      `      import of ${SPELLINGS} + ${SMALL_IMPORTS * 20} spellings: ${elapsedMs} ms (server CPU ${serverCpuMs} ms); /health idle ${idleMs.toFixed(1)} ms (p99 ${idleP99.toFixed(1)}), p99 ${p99.toFixed(1)} ms, slowest ${slowestMs.toFixed(1)} ms over ${latencies.length} calls; peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB`,
    );
    assert.ok(p99 < p99BoundMs, `/health p99 ${p99.toFixed(1)} ms during the import; the bound is ${p99BoundMs.toFixed(1)} ms (idle p99 ${idleP99.toFixed(1)} ms)`);
    assertHealthWithin(slowestMs, idleMs);
    assertMemoryUnder(peakRss, RSS_BOUND_MB, 'server RSS during the import');

    // A second import of 10,000 spellings, killed part-way: after a restart it finishes what was left, each item once.
    const resumedId = await startImport(server, Array.from({ length: RESUMED_SPELLINGS }, (_, index) => spelling(root, 'big', index)));
    const summaryOf = async (importId: string) => ((await api(server, 'GET', '/import?limit=50')).body.data as Json[]).find((summary) => summary.importId === importId);
    const partWay = await eventually(() => summaryOf(resumedId), (status) => status.skipped >= KILL_AFTER || status.done, `${KILL_AFTER} items skipped`, 60_000);
    server.child.kill('SIGKILL');
    assert.equal(partWay.done, false, `the import finished before the kill (${partWay.durationMs} ms)`);
    await new Promise((resolve) => server.child.once('exit', resolve));
    const killedAt = Date.now();
    server = await serve();
    const resumedDone = eventually(() => summaryOf(resumedId), (status) => status.done, 'the resumed import done', 60_000);
    const [resumedLatencies, resumedPeak] = await Promise.all([healthLatenciesUntil(target(server), resumedDone), peakRssUntil(server.child.pid!, resumedDone)]);
    const resumed = await resumedDone;
    const resumedInMs = Date.now() - killedAt;
    console.log(
      `      resumed ${RESUMED_SPELLINGS - partWay.skipped} of ${RESUMED_SPELLINGS} items in ${resumedInMs} ms; /health p99 ${percentile(resumedLatencies, 0.99).toFixed(1)} ms; peak RSS ${(resumedPeak / 1024 / 1024).toFixed(0)} MB`,
    );
    assert.deepEqual([resumed.completed, resumed.failed, resumed.skipped], [0, 0, RESUMED_SPELLINGS]);
    // Bound by the idle-relative bound with a 500 ms floor, not the 100 ms p99: a restart that
    // replayed 10,000 events saves the read models' snapshots at once, and the imports model writes
    // each import (10,000 items, ~7 MB of JSON) in one piece, a block of 150-300 ms outside the
    // import's code (projections/snapshots.ts), left for a follow-up.
    assertHealthWithin(Math.max(...resumedLatencies), idleMs, { floorMs: 500 });
    assertMemoryUnder(resumedPeak, RSS_BOUND_MB, 'server RSS during the resumed import');

    assert.equal(await server.stop(), 0);
    const events = await assertLogKeeps(dataDir, [batch.items[0].sessionId, ...acknowledged]);
    // Every item of the killed import recorded once: the restart redid only what had no outcome.
    const reported = events.filter((event) => event.streamId === resumedId && event.type === 'ImportItemProcessed').map((event) => event.data.index as number);
    assert.equal(reported.length, RESUMED_SPELLINGS);
    assert.equal(new Set(reported).size, RESUMED_SPELLINGS);
    assert.equal(events.filter((event) => event.type === 'SessionCreated').length, 1 + acknowledged.length);
  });
});
