import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { readTokenFile } from '../../src/token';
import { assertError } from '../helpers/assertions';
import { eventually } from '../helpers/eventually';
import { assertHealthWithin, assertLogKeeps, assertMemoryUnder, idleHealthMs, rssBytes, slowestHealthDuring } from '../helpers/hardening';
import { httpCall } from '../helpers/http';
import { startServerProcess, type ServerProcess } from '../helpers/process';
import { newDataDir, startTestServer, type TestServer } from '../helpers/server';
import { consecutiveFrom, openStreamReader, type StreamReader } from '../helpers/stream-readers';
import { seedSessionEvents } from './streams-seed';

/*
 * Issue 17 findings 3 and 17: live-stream clients that stop reading. Each event is framed once for
 * every client, the number of clients is capped (503 overloaded past it), the bytes they leave
 * unsent are capped across all of them (the slowest dropped with the final error event), memory
 * is released when they go, and a slow reader does not pile up listeners.
 */

const NOTES = 'x'.repeat(20_000);
const MB = 1024 * 1024;

async function openMany(url: string, token: string, count: number, reading: boolean): Promise<StreamReader[]> {
  const readers: StreamReader[] = [];
  for (let start = 0; start < count; start += 50) {
    readers.push(...(await Promise.all(Array.from({ length: Math.min(50, count - start) }, () => openStreamReader(url, token, { reading })))));
  }
  return readers;
}

async function createWithNotes(baseUrl: string, token: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const response = await httpCall(`${baseUrl}/sessions`, 'POST', { headers: { Authorization: `Bearer ${token}` }, json: { title: `Big notes ${index}`, notes: NOTES } });
    assert.equal(response.status, 201, response.text.slice(0, 200));
    ids.push(response.body.data.id);
  }
  return ids;
}

/** Resumes every paused reader and waits until each has all `count` events or its final error event. */
async function drainAll(readers: StreamReader[], count: number): Promise<void> {
  readers.forEach((reader) => reader.resume());
  await eventually(
    async () => readers.filter((reader) => reader.ids.length < count && reader.errorEvent === null && !reader.isEnded()).length,
    (left) => left === 0,
    'every stalled reader reading to its end',
    30_000,
  );
}

describe('hardening: live-stream clients that stop reading (issue 17 findings 3, 17)', function () {
  this.timeout(120_000);

  describe('300 clients that never read, then 80 writes with 20,000-character notes (a real process)', () => {
    let proc: ServerProcess | undefined;
    const dataDir = newDataDir();
    after(async () => {
      if (proc && proc.child.exitCode === null) await proc.stop('SIGKILL');
    });

    it('answers 503 overloaded past the client cap, stays up and small, serves the readers every event, and loses no write', async () => {
      const cap = 200;
      const totalCap = 8 * MB;
      writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ streamMaxClients: cap, streamMaxTotalBufferedBytes: totalCap, streamMaxBufferedBytes: 4 * MB, streamHeartbeatMs: 600_000 }));
      proc = await startServerProcess(['--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1']);
      const token = readTokenFile(join(dataDir, 'token'));
      const target = { baseUrl: proc.baseUrl, token };
      const idle = await idleHealthMs(target);
      const rssBefore = rssBytes(proc.child.pid!);
      const streamUrl = `${proc.baseUrl}/events/stream`;

      const readers = await openMany(streamUrl, token, 3, true);
      const stalled = await openMany(streamUrl, token, 297, false);
      const accepted = stalled.filter((reader) => reader.status === 200);
      const refused = stalled.filter((reader) => reader.status !== 200);
      assert.equal(accepted.length, cap - readers.length);
      assert.equal(refused.length, 100);
      for (const reader of refused) {
        assert.equal(reader.status, 503);
        assert.equal(reader.body.error.code, 'overloaded');
        assert.match(reader.body.error.message, /live-stream clients/);
        assert.ok(Number(reader.headers['retry-after']) > 0, 'no Retry-After');
      }

      const first = (await httpCall(`${proc.baseUrl}/health`, 'GET', { headers: { Authorization: `Bearer ${token}` } })).body.data.log.position + 1;
      let peakRss = rssBefore;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssBytes(proc!.child.pid!))), 50);
      let ids: string[];
      try {
        const { result, slowestMs } = await slowestHealthDuring(target, createWithNotes(proc.baseUrl, token, 80));
        ids = result;
        assertHealthWithin(slowestMs, idle);
      } finally {
        clearInterval(sampler);
      }
      assertMemoryUnder(peakRss - rssBefore, 150, 'growth of the server process during the writes');

      for (const reader of readers) {
        await reader.waitForIds(80);
        assert.ok(consecutiveFrom(reader.ids, first), 'a reading client missed or repeated an event');
        assert.equal(reader.errorEvent, null, 'a reading client was dropped');
      }
      await drainAll(accepted, 80);
      // At this size the kernel's socket buffers take most of what the stalled clients do not read;
      // the in-process test below goes past them to see the server's own bytes capped.
      for (const reader of accepted) {
        assert.ok(consecutiveFrom(reader.ids, first), 'a stalled client got a gap or a duplicate');
        if (reader.errorEvent !== null) {
          assert.equal(reader.errorEvent.error.code, 'overloaded');
          assert.ok(reader.ids.length < 80);
        } else assert.equal(reader.ids.length, 80);
      }
      [...readers, ...stalled].forEach((reader) => reader.close());
      assert.equal((await httpCall(`${proc.baseUrl}/health`, 'GET', { headers: { Authorization: `Bearer ${token}` } })).status, 200);
      assert.equal(await proc.stop('SIGTERM'), 0);
      await assertLogKeeps(dataDir, ids);
    });
  });

  describe('in process: what the server holds for its clients', () => {
    let server: TestServer;
    afterEach(async () => {
      await server?.stop();
    });

    it('frames each event once for all clients, keeps their unsent bytes under the cap, closes the dropped when room is needed, and holds nothing once they are gone', async () => {
      // A client that does not read lets the kernel take about 4 MB (loopback socket buffers) before
      // the server holds anything: 260 writes of 20,000 characters go past that.
      const writes = 260;
      const totalCap = 2 * MB;
      server = await startTestServer({ streamMaxClients: 16, streamMaxTotalBufferedBytes: totalCap, streamMaxBufferedBytes: 8 * MB, streamHeartbeatMs: 600_000 });
      const target = { baseUrl: server.baseUrl, token: server.token };
      const idle = await idleHealthMs(target);
      const rssBefore = rssBytes();
      const streamUrl = `${server.baseUrl}/events/stream`;
      const readers = await openMany(streamUrl, server.token, 4, true);
      const stalled = await openMany(streamUrl, server.token, 12, false);
      assert.ok(stalled.every((reader) => reader.status === 200));
      await eventually(async () => server.server.streamStats().live, (live) => live === 16, 'every client live');
      // One more than the cap: the contract's envelope, as documented for the route.
      const refused = await server.api('GET', '/events/stream');
      assertError(refused, 503, 'overloaded');
      assert.ok(Number(refused.headers['retry-after']) > 0);

      const before = server.server.streamStats();
      const first = server.server.store.head().position + 1;
      let peakHeld = 0;
      const sampler = setInterval(() => {
        const stats = server.server.streamStats();
        peakHeld = Math.max(peakHeld, stats.bufferedBytes + stats.drainingBytes);
      }, 20);
      let ids: string[];
      try {
        const { result, slowestMs } = await slowestHealthDuring(target, createWithNotes(server.baseUrl, server.token, writes));
        ids = result;
        assertHealthWithin(slowestMs, idle);
      } finally {
        clearInterval(sampler);
      }
      for (const reader of readers) await reader.waitForIds(writes);
      const during = server.server.streamStats();
      assert.equal(server.server.store.head().position - first + 1, writes);
      assert.equal(during.framesSerialised - before.framesSerialised, writes, 'each event framed once, whatever the number of clients');
      assert.ok(during.peakBufferedBytes <= totalCap, `unsent bytes of live clients reached ${during.peakBufferedBytes}, cap ${totalCap}`);
      // Dropped clients keep at most what they held when dropped, and are closed first when room is needed.
      assert.ok(peakHeld <= 2 * totalCap, `live and dropped clients held ${peakHeld} bytes`);
      assert.ok(during.dropped > 0, 'nobody dropped');
      assert.equal(during.refused - before.refused, 0);
      for (const reader of readers) {
        assert.ok(consecutiveFrom(reader.ids, first));
        assert.equal(reader.errorEvent, null, 'a reading client was dropped');
      }
      assertMemoryUnder(rssBytes() - rssBefore, 150, 'growth of the test process holding the server');

      await drainAll(stalled, writes);
      for (const reader of stalled) {
        assert.ok(consecutiveFrom(reader.ids, first), 'a stalled client got a gap or a duplicate');
        if (reader.errorEvent !== null) assert.equal(reader.errorEvent.error.code, 'overloaded');
        else if (reader.ids.length < writes) assert.ok(reader.isEnded(), 'a stalled client neither finished, nor was dropped, nor closed');
      }
      [...readers, ...stalled].forEach((reader) => reader.close());
      const gone = await eventually(
        async () => server.server.streamStats(),
        (stats) => stats.clients === 0 && stats.draining === 0 && stats.bufferedBytes === 0 && stats.drainingBytes === 0,
        'every client and its bytes released',
      );
      assert.equal(gone.live, 0);
      // Room again for new clients.
      const again = await openStreamReader(streamUrl, server.token);
      assert.equal(again.status, 200);
      again.close();
      await server.stop();
      await assertLogKeeps(server.dataDir, ids);
    });

    it('leaves no listener behind over many drain cycles of a slow reader (no MaxListenersExceededWarning)', async () => {
      server = await startTestServer({ streamHeartbeatMs: 600_000 });
      const seeded = await seedSessionEvents(server.server.store, 3000, 400);
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on('warning', onWarning);
      try {
        // Reads a chunk, then stops until the next turn of a timer: the server waits for drain again and again.
        let received = 0;
        let lastId = 0;
        let ordered = true;
        const done = new Promise<void>((resolve, reject) => {
          const req = request(`${server.baseUrl}/events/stream?after=0`, { headers: { Authorization: `Bearer ${server.token}` }, agent: false }, (response) => {
            response.setEncoding('utf8');
            let tail = '';
            response.on('data', (chunk: string) => {
              tail += chunk;
              const complete = tail.lastIndexOf('\n\n') + 2;
              for (const match of tail.slice(0, complete).matchAll(/^id: (\d+)$/gm)) {
                const id = Number(match[1]);
                if (id !== lastId + 1) ordered = false;
                lastId = id;
                received += 1;
              }
              tail = tail.slice(complete);
              if (received >= 3000) {
                req.destroy();
                return resolve();
              }
              response.pause();
              setTimeout(() => response.resume(), 2);
            });
            // A stream the server ends early fails here, with what arrived, rather than at mocha's timeout.
            response.on('end', () => reject(new Error(`the stream ended after ${received} of 3000 events: ${tail.slice(-300)}`)));
          });
          req.on('error', reject);
          req.end();
        });
        // A stall (no end, no error) fails with where the reader and the server were, not at mocha's timeout.
        let watchdog: NodeJS.Timeout | undefined;
        const stalled = new Promise<never>((_, reject) => {
          watchdog = setTimeout(
            () => reject(new Error(`the stream stalled after ${received} of 3000 events (last id ${lastId}); server: ${JSON.stringify(server.server.streamStats())}`)),
            45_000,
          );
        });
        await Promise.race([done, stalled]).finally(() => clearTimeout(watchdog));
        assert.ok(ordered, 'the catch-up skipped or repeated an event');
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(
          warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning').map((warning) => warning.message),
          [],
        );
      } finally {
        process.off('warning', onWarning);
      }
      await server.stop();
      await assertLogKeeps(server.dataDir, seeded);
    });
  });
});
