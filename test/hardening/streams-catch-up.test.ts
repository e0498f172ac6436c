import assert from 'node:assert/strict';
import { httpCall } from '../helpers/http';
import { assertHealthWithin, assertLogKeeps, assertMemoryUnder, idleHealthMs, rssBytes, slowestHealthDuring } from '../helpers/hardening';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually';
import { readTokenFile } from '../../src/token';
import { startServerProcess, type ServerProcess } from '../helpers/process';
import { newDataDir, startTestServer, type TestServer } from '../helpers/server';
import { consecutiveFrom, openStreamReader } from '../helpers/stream-readers';
import { seedSessionEvents } from './streams-seed';

/*
 * Issue 17 finding 10: catch-up multiplied per client. Many clients opening the stream at
 * `?after=0` on a long log share the pages they read (each event framed once), while /health and
 * live clients stay responsive.
 */

const LOG_EVENTS = 5000;
const CLIENTS = 100;
const PAGE_EVENTS = 128;

describe('hardening: many catch-ups from the start of a long log (issue 17 finding 10)', function () {
  this.timeout(120_000);
  let server: TestServer | undefined;
  let proc: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    if (proc && proc.child.exitCode === null) await proc.stop('SIGKILL');
  });

  it(`serves ${CLIENTS} clients at ?after=0 on a ${LOG_EVENTS}-event log, with /health and a live client responsive (a real process)`, async () => {
    // The log is written in process, then served by a process of its own: /health measures the
    // server's event loop, not the test's parsing of what the clients receive.
    const dataDir = newDataDir();
    const seeding = await startTestServer({}, { dataDir });
    const seeded = await seedSessionEvents(seeding.server.store, LOG_EVENTS, 100);
    await seeding.stop();
    proc = await startServerProcess(['--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1']);
    const token = readTokenFile(join(dataDir, 'token'));
    const target = { baseUrl: proc.baseUrl, token };
    const idle = await idleHealthMs(target);
    const rssBefore = rssBytes(proc.child.pid!);
    const live = await openStreamReader(`${proc.baseUrl}/events/stream`, token);

    let results: Array<{ status: number; events: number; consecutive: boolean }> = [];
    let liveLatencyMs = 0;
    let written = '';
    let peakRss = rssBefore;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssBytes(proc!.child.pid!))), 50);
    const catchUps = (async () => {
      const clients = spawn(process.execPath, [join(__dirname, 'streams-catch-up-clients.js'), `${proc!.baseUrl}/events/stream?after=0`, token, String(CLIENTS), String(LOG_EVENTS + 1)]);
      let output = '';
      clients.stdout.on('data', (chunk) => (output += chunk));
      clients.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => clients.on('exit', resolve));
      await eventually(async () => output, (text) => text.includes('opened') || clients.exitCode !== null, 'the catch-up clients connected', 30_000);
      // A write in the middle of the catch-ups: the live client gets it at once.
      const started = performance.now();
      const created = await httpCall(`${proc!.baseUrl}/sessions`, 'POST', { headers: { Authorization: `Bearer ${token}` }, json: { title: 'During the catch-ups' } });
      assert.equal(created.status, 201);
      written = created.body.data.id;
      await live.waitForIds(1);
      liveLatencyMs = performance.now() - started;
      assert.equal(await exited, 0, output);
      results = JSON.parse(output.trim().split('\n').pop()!);
    })();
    try {
      const { slowestMs, samples } = await slowestHealthDuring(target, catchUps);
      assertHealthWithin(slowestMs, idle);
      assertHealthWithin(liveLatencyMs, idle);
      assert.ok(samples >= 5);
    } finally {
      clearInterval(sampler);
    }
    assertMemoryUnder(peakRss - rssBefore, 150, 'growth of the server process during the catch-ups');
    assert.equal(results.length, CLIENTS);
    for (const result of results) assert.deepEqual(result, { status: 200, events: LOG_EVENTS + 1, consecutive: true });
    assert.deepEqual(live.ids, [LOG_EVENTS + 1]);
    live.close();
    assert.equal(await proc.stop('SIGTERM'), 0);
    await assertLogKeeps(dataDir, [...seeded, written]);
  });

  it('catches a reader up on pages larger than its own bound without dropping it (in process)', async () => {
    // 128 events of 20,000 characters make a 2.5 MB page; the bound of a live client here is 64 KiB.
    server = await startTestServer({ streamHeartbeatMs: 600_000, streamMaxBufferedBytes: 64 * 1024 });
    const seeded = await seedSessionEvents(server.server.store, 300, 20_000);
    const reader = await openStreamReader(`${server.baseUrl}/events/stream?after=0`, server.token);
    await reader.waitForIds(300, 60_000);
    const created = await server.api('POST', '/sessions', { json: { title: 'After the catch-up' } });
    await reader.waitForIds(301);
    assert.ok(consecutiveFrom(reader.ids, 1));
    assert.equal(reader.errorEvent, null);
    assert.equal(server.server.streamStats().dropped, 0);
    reader.close();
    await server.stop();
    await assertLogKeeps(server.dataDir, [...seeded, created.body.data.id]);
  });

  it('frames each event of the log once for all the clients catching up (in process)', async () => {
    const events = 2000;
    server = await startTestServer({ streamHeartbeatMs: 600_000 });
    const seeded = await seedSessionEvents(server.server.store, events, 100);
    const before = server.server.streamStats();
    const readers = await Promise.all(Array.from({ length: 20 }, () => openStreamReader(`${server!.baseUrl}/events/stream?after=0`, server!.token)));
    await Promise.all(readers.map((reader) => reader.waitForIds(events, 60_000)));
    for (const reader of readers) assert.ok(consecutiveFrom(reader.ids, 1));
    const framed = server.server.streamStats().framesSerialised - before.framesSerialised;
    assert.equal(framed, events, `${framed} frames for ${events} events and ${readers.length} clients`);
    assert.ok(server.server.streamStats().cachedPages >= Math.ceil(events / PAGE_EVENTS) - 1);
    readers.forEach((reader) => reader.close());
    await server.stop();
    await assertLogKeeps(server.dataDir, seeded);
  });
});
