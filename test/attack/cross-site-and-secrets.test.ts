import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { httpCall } from '../helpers/http';
import { rawHttp, requestBytes } from '../helpers/raw-http';
import { readAllEvents, startTestServer, type TestServer } from '../helpers/server';
import { countAttack } from './tally';

/*
 * Issue 8 item 4: what a cross-site page can send without a preflight (a form POST: text/plain,
 * application/x-www-form-urlencoded, multipart/form-data, no Origin from some browsers and
 * privacy settings) cannot write; oversized and odd requests are answered with the envelope and
 * the server keeps serving; the token file is owner-only; no log line and no stored byte holds the
 * token. The last test sweeps everything the server wrote after all the others ran.
 */

const SUITE = 'cross-site-and-secrets';

describe('attack: cross-site form posts, oversized requests and the token secret (contract §1, §2, §4)', () => {
  let server: TestServer;
  let sessionId: string;

  const head = () => server.server.store.head().position;
  const raw = (method: string, target: string, headers: Array<[string, string]>, body?: string) =>
    rawHttp(server.server.port, requestBytes({ method, target, headers: [['Host', `127.0.0.1:${server.server.port}`], ...headers], body: body === undefined ? undefined : Buffer.from(body) }));

  before(async () => {
    server = await startTestServer();
    const created = await server.api('POST', '/sessions', { json: { title: 'Form target' } });
    assert.equal(created.status, 201, created.text);
    sessionId = created.body.data.id;
  });

  after(async () => {
    await server?.dispose();
  });

  describe('an Origin-less cross-site form POST', () => {
    const writes = () => [
      ['POST', '/api/v1/sessions', '{"title":"Forged"}'],
      ['POST', '/api/v1/import', '{"items":[{"projectPath":"/etc"}]}'],
      ['POST', `/api/v1/sessions/${sessionId}/previews`, '{"path":"/etc/passwd"}'],
    ] as const;
    const formTypes = ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=----x'];
    /** What a form's encoding makes of a JSON-looking body (`<input name='{"title":"Forged", "x":"' value='"}'>`). */
    const encoded = (type: string, json: string) =>
      type.startsWith('multipart') ? `------x\r\nContent-Disposition: form-data; name="${json.slice(0, -2)}"\r\n\r\n"}\r\n------x--\r\n` : type.startsWith('application/x-www') ? `${json.slice(0, -2)}=%22%7D` : json;

    it('cannot write as a form type, even carrying the token: 415 unsupported_media_type, log unchanged', async () => {
      const before = head();
      for (const [method, target, json] of writes()) {
        // text/plain carrying the token is no form post (a form cannot carry it): read as JSON, below.
        for (const type of formTypes.filter((each) => !each.startsWith('text/plain'))) {
          countAttack(SUITE);
          const outcome = await raw(method, target, [['Authorization', `Bearer ${server.token}`], ['Content-Type', type]], encoded(type, json));
          assert.equal(outcome.response?.status, 415, `${method} ${target} as ${type}: ${outcome.response?.text}`);
          assert.equal(outcome.response.body.error.code, 'unsupported_media_type');
        }
      }
      assert.equal(head(), before, 'a form post wrote to the log');
    });

    it('text/plain carrying the token is read as JSON (contract §4: a cross-site form cannot carry the token)', async () => {
      const before = head();
      for (const type of formTypes.filter((each) => each.startsWith('text/plain'))) {
        countAttack(SUITE);
        const outcome = await raw('POST', '/api/v1/sessions', [['Authorization', `Bearer ${server.token}`], ['Content-Type', type]], '{"title":"Scripted"}');
        assert.equal(outcome.response?.status, 201, `as ${type}: ${outcome.response?.text}`);
      }
      assert.equal(head(), before + 2);
    });

    it('cannot write without the token (what a browser form really sends): 401, log unchanged', async () => {
      const before = head();
      for (const [method, target, json] of writes()) {
        for (const type of [...formTypes, 'application/json']) {
          countAttack(SUITE);
          const outcome = await raw(method, target, [['Content-Type', type], ['Cookie', 'anything=1']], encoded(type, json));
          assert.equal(outcome.response?.status, 401, `${method} ${target} as ${type}: ${outcome.response?.text}`);
        }
      }
      // The body-less actions a form can reach by POST, and a PATCH/PUT/DELETE a form cannot send anyway.
      for (const [method, path] of [['POST', `/sessions/${sessionId}/open`], ['POST', `/sessions/${sessionId}/focus`], ['POST', `/sessions/${sessionId}`], ['DELETE', `/sessions/${sessionId}`]]) {
        countAttack(SUITE);
        const outcome = await raw(method, `/api/v1${path}`, [['Content-Type', 'text/plain']], 'x');
        assert.equal(outcome.response?.status, 401, `${method} ${path}: ${outcome.response?.text}`);
      }
      assert.equal(head(), before, 'a form post wrote to the log');
    });

    it('with a foreign Origin too: 403 before the body is looked at', async () => {
      for (const [method, target, json] of writes()) {
        countAttack(SUITE);
        const outcome = await raw(method, target, [['Authorization', `Bearer ${server.token}`], ['Origin', 'http://evil.com'], ['Content-Type', 'text/plain']], json);
        assert.equal(outcome.response?.status, 403);
        assert.equal(outcome.response.body.error.code, 'forbidden_origin');
      }
    });
  });

  describe('oversized and odd requests', () => {
    it('answers headers over the limit with the 413 envelope, in every shape, and keeps serving', async () => {
      const cases: Array<[string, Array<[string, string]>, string]> = [
        ['one huge header', [['X-Padding', 'x'.repeat(64 * 1024)]], '/api/v1/health'],
        ['a huge Authorization', [['Authorization', `Bearer ${'A'.repeat(40 * 1024)}`]], '/api/v1/health'],
        ['a huge Cookie', [['Cookie', `a=${'b'.repeat(20 * 1024)}`]], '/api/v1/sessions'],
        ['many small headers', Array.from({ length: 3000 }, (_, i): [string, string] => [`X-H${i}`, 'v']), '/api/v1/health'],
        ['a huge request target', [], `/api/v1/sessions?q=${'q'.repeat(20 * 1024)}`],
        ['a huge path', [], `/api/v1/sessions/${'s'.repeat(20 * 1024)}`],
      ];
      for (const [what, headers, target] of cases) {
        countAttack(SUITE);
        const authorization: Array<[string, string]> = headers.some(([name]) => name === 'Authorization') ? [] : [['Authorization', `Bearer ${server.token}`]];
        const outcome = await raw('GET', target, [...authorization, ...headers]);
        const response = outcome.response;
        assert.ok(response, `${what}: no answer (${outcome.error})`);
        assert.equal(response.status, 413, `${what}: ${response.statusLine} ${response.text.slice(0, 200)}`);
        assert.deepEqual(response.body, { error: { status: 413, code: 'payload_too_large', message: 'Request headers are too large.' } });
        assert.ok(response.headers['x-request-id'], `${what}: no X-Request-Id`);
        countAttack(SUITE);
        assert.equal((await server.api('GET', '/health')).status, 200, `not serving after ${what}`);
      }
    });

    it('answers a body over the limit, declared or chunked, with 413 and writes nothing', async () => {
      const before = head();
      const big = `{"title":"${'x'.repeat(1024 * 1024 + 10)}"}`;
      for (const chunked of [false, true]) {
        countAttack(SUITE);
        const outcome = await rawHttp(
          server.server.port,
          requestBytes({ method: 'POST', target: '/api/v1/sessions', headers: [['Host', '127.0.0.1'], ['Authorization', `Bearer ${server.token}`], ['Content-Type', 'application/json']], body: Buffer.from(big), chunked }),
        );
        assert.equal(outcome.response?.status, 413, `chunked ${chunked}: ${outcome.response?.text.slice(0, 200)}`);
        assert.equal(outcome.response.body.error.code, 'payload_too_large');
      }
      countAttack(SUITE);
      const lying = await rawHttp(
        server.server.port,
        requestBytes({ method: 'POST', target: '/api/v1/sessions', noLength: true, body: Buffer.from('{}'), headers: [['Host', '127.0.0.1'], ['Authorization', `Bearer ${server.token}`], ['Content-Type', 'application/json'], ['Content-Length', String(10 ** 12)]] }),
        { timeoutMs: 5000 },
      );
      assert.equal(lying.response?.status, 413, lying.response?.text);
      assert.equal(head(), before);
      assert.equal((await server.api('GET', '/health')).status, 200);
    });

    it('answers Expect: <unknown> with the JSON envelope and X-Request-Id', async () => {
      countAttack(SUITE);
      const outcome = await raw('GET', '/api/v1/health', [['Authorization', `Bearer ${server.token}`], ['Expect', 'garbage']]);
      const response = outcome.response!;
      assert.ok(response.headers['x-request-id'], `no X-Request-Id: ${response.statusLine}`);
      assert.match(response.headers['content-type'] ?? '', /^application\/json/, `${response.statusLine}: not JSON`);
      assert.ok(response.body?.error?.code || response.body?.data, response.text);
    });

    it('answers an HTTP/1.1 request without Host with the JSON envelope (403 forbidden_host or 400)', async () => {
      countAttack(SUITE);
      const outcome = await rawHttp(server.server.port, requestBytes({ method: 'GET', target: '/api/v1/health', headers: [['Authorization', `Bearer ${server.token}`]] }));
      const response = outcome.response!;
      assert.ok(response.headers['x-request-id'], `no X-Request-Id: ${response.statusLine}`);
      assert.ok([400, 403].includes(response.status), response.statusLine);
      assert.match(response.headers['content-type'] ?? '', /^application\/json/, `${response.statusLine}: not JSON`);
      assert.ok(response.body?.error?.code, response.text);
    });

    it('answers HEAD /api/v1/events/stream at once (headers, no body), not never', async () => {
      countAttack(SUITE);
      const outcome = await rawHttp(server.server.port, requestBytes({ method: 'HEAD', target: '/api/v1/events/stream', headers: [['Host', '127.0.0.1'], ['Authorization', `Bearer ${server.token}`]] }), { timeoutMs: 3000, cutOffStreams: true });
      assert.ok(outcome.response, `no response within 3 s (${outcome.timedOut ? 'timed out' : outcome.error})`);
      assert.ok([200, 405].includes(outcome.response.status), outcome.response.statusLine);
    });
  });

  describe('the token secret', () => {
    it('is in a token file that only its owner can read or write (0600), in a directory only its owner can enter (0700)', () => {
      countAttack(SUITE);
      const mode = statSync(server.config.tokenFile).mode & 0o777;
      assert.equal(mode, 0o600, `token file mode ${mode.toString(8)}`);
      assert.equal(statSync(server.dataDir).mode & 0o077, 0, `data dir mode ${(statSync(server.dataDir).mode & 0o777).toString(8)}`);
    });

    it('is never answered back: not by /health, /events, the document or any error', async () => {
      const { token } = server;
      const responses = [
        await server.api('GET', '/health'),
        await server.api('GET', '/events'),
        await server.call('GET', '/openapi.json'),
        await server.api('GET', `/sessions/${sessionId}/history`),
        await httpCall(`${server.baseUrl}/sessions?token=${token}`, 'GET', {}),
        await httpCall(`${server.baseUrl}/nope/${token}`, 'GET', { headers: { Authorization: `Bearer ${token}` } }),
        await httpCall(`${server.baseUrl}/sessions/${token}`, 'GET', { headers: { Authorization: `Bearer ${token}` } }),
        await httpCall(`${server.baseUrl}/sessions`, 'POST', { headers: { Authorization: `Bearer ${token}` }, json: { title: 'x', [token]: 1 } }),
      ];
      countAttack(SUITE, responses.length);
      // A 404 may name the path the client sent (with the token in it, by the client's own doing): only the first four must not.
      for (const response of responses.slice(0, 5)) assert.ok(!response.text.includes(token) && !JSON.stringify(response.headers).includes(token), response.text.slice(0, 200));
    });

    it('appears in no log line, no stored event, no file of the data directory but the token file, after every attack above', async () => {
      const { token } = server;
      // More that could leak it: the token in the query string, the path, a header the server logs.
      for (const target of [`/api/v1/sessions?access_token=${token}`, `/api/v1/${token}`, `/API/V1/sessions/${token}`]) {
        countAttack(SUITE);
        await raw('GET', target, [['X-Request-Id', 'probe-1']]);
      }
      countAttack(SUITE);
      await raw('POST', '/api/v1/sessions', [['Authorization', `Bearer ${token}`], ['Content-Type', 'application/json']], `{"title":"${token.slice(0, 5)}", "bad": "${token}"}`);
      for (const line of server.logs) assert.ok(!line.includes(token), `a log line holds the token: ${line}`);
      for (const event of await readAllEvents(server)) assert.ok(!JSON.stringify(event).includes(token), `event ${event.position} holds the token`);
      await server.stop();
      const leaks: string[] = [];
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          const stats = statSync(path);
          if (stats.isDirectory()) walk(path);
          else if (path !== server.config.tokenFile && readFileSync(path).includes(token)) leaks.push(path);
        }
      };
      walk(server.dataDir);
      assert.deepEqual(leaks, [], 'files holding the token');
    });
  });
});
