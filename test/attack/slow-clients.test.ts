import assert from 'node:assert/strict';
import http = require('node:http');
import { connect, type Socket } from 'node:net';
import { rawHttp, requestBytes } from '../helpers/raw-http';
import { startTestServer, type TestServer } from '../helpers/server';
import { countAttack } from './tally';

/*
 * Issue 8 item 4: slow clients (slowloris). A client that trickles its headers or its body in
 * byte by byte is closed by the server's header and request timeouts (src/server.ts
 * configureServer: 10 s and 30 s), and the server keeps serving everyone else meanwhile.
 *
 * To keep the suite fast the server's http.Server objects are caught as src/listen.ts creates them
 * (node:http's createServer is looked up at call time), built with a short connections-checking
 * interval, and their timeouts shortened after the server configured them. The first test checks
 * the values the real server sets.
 */

const SUITE = 'slow-clients';
const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_500;

/** Starts a test server while recording the http.Server objects it creates (with `options` added). */
async function startCapturing(options: http.ServerOptions): Promise<{ server: TestServer; servers: http.Server[] }> {
  const module = http as unknown as { createServer: (...args: unknown[]) => http.Server };
  const original = module.createServer;
  const servers: http.Server[] = [];
  module.createServer = (...args: unknown[]) => {
    const created = typeof args[0] === 'function' ? original(options, args[0]) : original({ ...(args[0] as object), ...options }, args[1]);
    servers.push(created);
    return created;
  };
  try {
    return { server: await startTestServer(), servers };
  } finally {
    module.createServer = original;
  }
}

/** A socket that writes `bytes` one at a time every `everyMs`; resolves when the server closes it. */
function trickle(port: number, bytes: Buffer, everyMs: number): { closed: Promise<{ afterMs: number; received: string; sentBytes: number }>; socket: Socket } {
  const socket = connect(port, '127.0.0.1');
  const started = Date.now();
  let received = '';
  let sent = 0;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  const timer = setInterval(() => {
    if (sent >= bytes.length || socket.destroyed) return clearInterval(timer);
    socket.write(bytes.subarray(sent, sent + 1));
    sent += 1;
  }, everyMs);
  const closed = new Promise<{ afterMs: number; received: string; sentBytes: number }>((resolve) => {
    const done = () => {
      clearInterval(timer);
      resolve({ afterMs: Date.now() - started, received, sentBytes: sent });
    };
    socket.on('close', done);
    socket.on('error', () => undefined);
  });
  return { closed, socket };
}

describe('attack: slow clients (headers or body trickled in)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let servers: http.Server[];

  before(async () => {
    ({ server, servers } = await startCapturing({ connectionsCheckingInterval: 100 }));
    assert.ok(servers.length >= 1, 'no http.Server was caught');
  });

  after(async () => {
    await server?.dispose();
  });

  const health = async () => {
    const outcome = await rawHttp(server.server.port, requestBytes({ method: 'GET', target: '/api/v1/health', headers: [['Host', '127.0.0.1'], ['Authorization', `Bearer ${server.token}`]] }), { timeoutMs: 3000 });
    return outcome.response?.status;
  };

  it('is configured with the header and request timeouts of src/server.ts (10 s, 30 s)', () => {
    countAttack(SUITE);
    for (const each of servers) {
      assert.equal(each.headersTimeout, 10_000);
      assert.equal(each.requestTimeout, 30_000);
    }
  });

  it('closes a client trickling its headers within ~12 s with the real settings (headersTimeout 10 s)', async function () {
    this.timeout(20_000);
    // A server of its own, created as src/listen.ts creates it (no options added).
    const { server: plain } = await startCapturing({});
    try {
      countAttack(SUITE);
      const request = Buffer.from(`GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'p'.repeat(2000)}\r\n\r\n`);
      const { closed, socket } = trickle(plain.server.port, request, 100);
      const deadline = new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 12_500));
      const result = await Promise.race([closed, deadline]);
      socket.destroy();
      assert.notEqual(result, 'open', 'still open 12.5 s after it started trickling (headersTimeout is 10 s)');
    } finally {
      await plain.dispose();
    }
  });

  describe('with the timeouts shortened', () => {
    before(() => {
      for (const each of servers) {
        each.headersTimeout = HEADERS_TIMEOUT_MS;
        each.requestTimeout = REQUEST_TIMEOUT_MS;
      }
    });

    it('closes clients that trickle their headers past the header timeout, and serves others meanwhile', async () => {
      const request = Buffer.from(`GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${server.token}\r\nX-Padding: ${'p'.repeat(400)}\r\n\r\n`);
      const slow = Array.from({ length: 20 }, () => trickle(server.server.port, request, 50));
      countAttack(SUITE, slow.length);
      // While they trickle, everyone else is served.
      for (let i = 0; i < 5; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        countAttack(SUITE);
        assert.equal(await health(), 200, 'the server stopped serving while slow clients trickled');
      }
      const results = await Promise.all(slow.map((client) => client.closed));
      for (const result of results) {
        assert.ok(result.sentBytes < request.length, `a trickling client got to send all its headers (${result.sentBytes} bytes in ${result.afterMs} ms)`);
        assert.ok(result.afterMs >= HEADERS_TIMEOUT_MS - 50 && result.afterMs < HEADERS_TIMEOUT_MS + 3000, `closed after ${result.afterMs} ms`);
        assert.doesNotMatch(result.received, /^HTTP\/1\.1 [25]/, `a trickling client got ${result.received.slice(0, 40)}`);
      }
      assert.equal(await health(), 200);
    });

    it('closes a client that trickles its body past the request timeout, writes nothing, and serves others', async () => {
      const before = server.server.store.head().position;
      const body = JSON.stringify({ title: 'Trickled in' });
      const headers = `POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${server.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 2000}\r\n\r\n`;
      const socket = connect(server.server.port, '127.0.0.1');
      socket.on('error', () => undefined);
      let received = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.write(headers);
      const started = Date.now();
      const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started)));
      const padded = Buffer.from(body + ' '.repeat(2000));
      let sent = 0;
      const timer = setInterval(() => {
        if (socket.destroyed || sent >= padded.length) return clearInterval(timer);
        socket.write(padded.subarray(sent, sent + 1));
        sent += 1;
      }, 20);
      countAttack(SUITE);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(await health(), 200, 'not served while a body trickled in');
      const afterMs = await closed;
      clearInterval(timer);
      assert.ok(sent < padded.length, 'the whole body got through');
      assert.ok(afterMs < REQUEST_TIMEOUT_MS + 3000, `closed only after ${afterMs} ms`);
      // Either cut off silently, or told so with a JSON envelope; never a success.
      assert.doesNotMatch(received, /^HTTP\/1\.1 2/, received.slice(0, 80));
      if (received) assert.match(received, /application\/json/, received.slice(0, 300));
      assert.equal(server.server.store.head().position, before, 'a trickled body was written');
      assert.equal(await health(), 200);
    });

    it('closes an idle connection that never sends a byte', async () => {
      countAttack(SUITE);
      const { closed } = trickle(server.server.port, Buffer.alloc(0), 1000);
      const { afterMs, received } = await closed;
      assert.ok(afterMs < HEADERS_TIMEOUT_MS + 3000, `open for ${afterMs} ms`);
      assert.equal(received, '');
    });
  });
});
