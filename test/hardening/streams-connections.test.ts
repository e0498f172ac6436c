import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { defaultMaxConnections, softOpenFileLimit } from '../../src/open-file-limit';
import { assertHealthWithin, assertLogKeeps, assertMemoryUnder, idleHealthMs, rssBytes, slowestHealthDuring } from '../helpers/hardening';
import { eventually } from '../helpers/eventually';
import { httpCall } from '../helpers/http';
import { rawHttp } from '../helpers/raw-http';
import { newDataDir, startTestServer, type TestServer } from '../helpers/server';
import { openStreamReader } from '../helpers/stream-readers';

/*
 * Issue 17 finding 16: connections that trickle their headers took every file descriptor. The
 * server caps its open connections below the open-file limit, and at the cap closes the one that
 * has waited longest for a request head, so a real client still gets in.
 */

const ATTACKERS = 2000;
const CAP = 64;

describe('hardening: connections that trickle their headers (issue 17 finding 16)', function () {
  this.timeout(120_000);
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it(`keeps at most ${CAP} connections open against ${ATTACKERS} trickling ones, and serves a real client all along`, async () => {
    server = await startTestServer({ maxConnections: CAP });
    const target = { baseUrl: server.baseUrl, token: server.token };
    const idle = await idleHealthMs(target);
    const rssBefore = rssBytes();
    // The attackers run in a process of their own: /health measures the server, not their work.
    const attack = spawn(process.execPath, [join(__dirname, 'streams-trickle-clients.js'), String(server.server.port), String(ATTACKERS), '100']);
    let output = '';
    attack.stdout.on('data', (chunk) => (output += chunk));
    attack.stderr.on('data', (chunk) => (output += chunk));
    try {
      const created: string[] = [];
      // Until every attacker has connected (and most have been closed again), a real client keeps calling.
      const work = eventually(async () => output, (text) => text.includes(`attempted ${ATTACKERS}`), 'every attacker connecting', 60_000).then(async () => {
        await eventually(async () => Number(/closed (\d+)\n$/.exec(output)?.[1] ?? 0), (closed) => closed >= ATTACKERS - CAP, 'the attackers closed by the server', 30_000);
        const response = await httpCall(`${server!.baseUrl}/sessions`, 'POST', { headers: { Authorization: `Bearer ${server!.token}` }, json: { title: 'During the trickle' } });
        assert.equal(response.status, 201, response.text);
        created.push(response.body.data.id);
      });
      const { slowestMs, samples } = await slowestHealthDuring(target, work, 20);
      assertHealthWithin(slowestMs, idle);
      assert.ok(samples >= 20);
      const stats = server.server.connectionStats();
      assert.ok(stats.peakOpen <= CAP, `${stats.peakOpen} connections were open at once, cap ${CAP}`);
      assert.ok(stats.evicted + stats.refused >= ATTACKERS - CAP, `only ${stats.evicted} evicted and ${stats.refused} refused`);
      assertMemoryUnder(rssBytes() - rssBefore, 150, 'growth of the test process holding the server');
      await server.stop();
      await assertLogKeeps(server.dataDir, created);
    } finally {
      attack.kill('SIGKILL');
    }
  });

  it('refuses a new connection with 503 overloaded when every open one has a request in flight', async () => {
    server = await startTestServer({ maxConnections: 8, streamHeartbeatMs: 600_000 });
    const streams = await Promise.all(Array.from({ length: 8 }, () => openStreamReader(`${server!.baseUrl}/events/stream`, server!.token)));
    assert.ok(streams.every((stream) => stream.status === 200));
    const outcome = await rawHttp(server.server.port, `GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${server.token}\r\nConnection: close\r\n\r\n`);
    assert.equal(outcome.response?.status, 503);
    assert.equal(outcome.response?.headers['retry-after'], '1');
    assert.match(outcome.response?.headers['content-type'] ?? '', /^application\/json/);
    assert.deepEqual(outcome.response?.body, { error: { status: 503, code: 'overloaded', message: 'Too many connections are open: try again shortly.' } });
    assert.equal(server.server.connectionStats().refused, 1);
    streams.forEach((stream) => stream.close());
    // The streams gone, the next client is served.
    await eventually(async () => server!.server.connectionStats().open, (open) => open === 0, 'the streams closed');
    assert.equal((await server.api('GET', '/health')).status, 200);
  });

  it('derives the default cap from the soft open-file limit in /proc/self/limits', () => {
    const limits = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max processes             63374                63374                processes ',
      'Max open files            1024                 524288               files     ',
    ].join('\n');
    assert.equal(softOpenFileLimit(limits), 1024);
    assert.equal(softOpenFileLimit(limits.replace('1024 ', 'unlimited ')), Number.MAX_SAFE_INTEGER);
    assert.equal(softOpenFileLimit('Max processes 5 5 processes'), null);
    assert.equal(defaultMaxConnections(1024), 512);
    assert.equal(defaultMaxConnections(20), 32);
    assert.equal(defaultMaxConnections(1_048_576), 8192);
    assert.equal(defaultMaxConnections(null), 1024);
  });

  it('refuses bad values of the new settings at start-up, naming them', () => {
    for (const [setting, value] of [
      ['maxConnections', 2],
      ['streamMaxClients', 0],
      ['streamMaxTotalBufferedBytes', 10],
    ] as const) {
      const dataDir = newDataDir();
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ [setting]: value }));
      assert.throws(() => loadConfig({ flags: { dataDir }, env: {} }), (error: Error) => error instanceof ConfigError && error.message.includes(`invalid configuration: ${setting}`));
    }
    const dataDir = newDataDir();
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ maxConnections: 100, streamMaxClients: 10, streamMaxTotalBufferedBytes: 1048576 }));
    const config = loadConfig({ flags: { dataDir }, env: {} });
    assert.deepEqual([config.maxConnections, config.streamMaxClients, config.streamMaxTotalBufferedBytes], [100, 10, 1048576]);
    assert.equal(loadConfig({ flags: { dataDir: newDataDir() }, env: {} }).maxConnections, null);
  });
});
