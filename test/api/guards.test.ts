import assert from 'node:assert/strict';
import { assertError } from '../helpers/assertions';
import type { HttpResponse } from '../helpers/http';
import { sendRawBytes } from '../helpers/raw-socket';
import { startTestServer, type TestServer } from '../helpers/server';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function assertNoCors(response: HttpResponse): void {
  const cors = Object.keys(response.headers).filter((name) => name.startsWith('access-control-'));
  assert.deepEqual(cors, [], `unexpected CORS headers: ${cors.join(', ')}`);
}

describe('API: Host and Origin guards, request ids (contract §1, §4)', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });

  after(async () => {
    await server?.dispose();
  });

  describe('Host (DNS rebinding)', () => {
    const foreignHosts = (port: number) => [
      'evil.example',
      `evil.example:${port}`,
      '127.0.0.1.evil.example',
      `127.0.0.1.evil.example:${port}`,
      `localhost.evil.example:${port}`,
      `evil.localhost:${port}`,
      `10.0.0.1:${port}`,
    ];

    it('answers a foreign Host with 403 forbidden_host even with a valid token', async () => {
      for (const host of foreignHosts(server.server.port)) {
        const response = await server.api('GET', '/sessions', { headers: { Host: host } });
        assertError(response, 403, 'forbidden_host');
      }
    });

    it('refuses a foreign Host before authentication and before any write', async () => {
      const before = server.server.store.head().position;
      assertError(await server.api('GET', '/health', { token: null, headers: { Host: 'evil.example' } }), 403, 'forbidden_host');
      assertError(await server.api('POST', '/sessions', { headers: { Host: 'evil.example' }, json: { title: 'Rebound' } }), 403, 'forbidden_host');
      assert.equal(server.server.store.head().position, before);
    });

    it('lets the loopback names through, with or without a port', async () => {
      const port = server.server.port;
      for (const host of [`localhost:${port}`, 'localhost', `127.0.0.1:${port}`, '127.0.0.1', `[::1]:${port}`, '[::1]']) {
        const response = await server.api('GET', '/health', { headers: { Host: host } });
        assert.equal(response.status, 200, `Host ${host}: ${response.status} ${response.text}`);
      }
    });
  });

  describe('Origin (cross-site calls)', () => {
    it('answers a foreign Origin with 403 forbidden_origin and no CORS headers', async () => {
      for (const origin of ['http://evil.example', 'https://evil.example', `http://evil.example:${server.server.port}`]) {
        const response = await server.api('GET', '/sessions', { headers: { Origin: origin } });
        assertError(response, 403, 'forbidden_origin');
        assertNoCors(response);
      }
    });

    it('answers Origin: null with 403 forbidden_origin', async () => {
      const response = await server.api('GET', '/sessions', { headers: { Origin: 'null' } });
      assertError(response, 403, 'forbidden_origin');
    });

    it('treats a loopback origin on another port as foreign', async () => {
      const otherPort = server.server.port === 65535 ? 65534 : server.server.port + 1;
      const response = await server.api('GET', '/sessions', { headers: { Origin: `http://127.0.0.1:${otherPort}` } });
      assertError(response, 403, 'forbidden_origin');
    });

    it('refuses a foreign Origin before any write', async () => {
      const before = server.server.store.head().position;
      const response = await server.api('POST', '/sessions', { headers: { Origin: 'http://evil.example' }, json: { title: 'Cross-site' } });
      assertError(response, 403, 'forbidden_origin');
      assert.equal(server.server.store.head().position, before);
    });

    it("lets the server's own origin through with no CORS headers", async () => {
      const response = await server.api('GET', '/sessions', { headers: { Origin: server.origin } });
      assert.equal(response.status, 200, response.text);
      assertNoCors(response);
    });

    it('lets the same origin under the other loopback names through (localhost, [::1])', async () => {
      const port = server.server.port;
      for (const origin of [`http://localhost:${port}`, `http://127.0.0.1:${port}`, `http://[::1]:${port}`]) {
        const response = await server.api('GET', '/sessions', { headers: { Origin: origin } });
        assert.equal(response.status, 200, `Origin ${origin}: ${response.text}`);
        assertNoCors(response);
      }
    });

    it('sends no CORS headers to a request without Origin', async () => {
      const response = await server.api('GET', '/sessions');
      assert.equal(response.status, 200, response.text);
      assertNoCors(response);
    });
  });

  describe('an allowed origin', () => {
    let allowing: TestServer;

    before(async () => {
      allowing = await startTestServer({ allowedOrigins: ['http://app.example'] });
    });

    after(async () => {
      await allowing?.dispose();
    });

    it('passes and gets Access-Control-Allow-Origin', async () => {
      const response = await allowing.api('GET', '/sessions', { headers: { Origin: 'http://app.example' } });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers['access-control-allow-origin'], 'http://app.example');
      assert.match(String(response.headers.vary), /\bOrigin\b/i);
    });

    it('answers a preflight OPTIONS with 204 and the CORS headers, without a token', async () => {
      const response = await allowing.api('OPTIONS', '/sessions', {
        token: null,
        headers: {
          Origin: 'http://app.example',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization, content-type',
        },
      });
      assert.equal(response.status, 204, response.text);
      assert.equal(response.headers['access-control-allow-origin'], 'http://app.example');
      assert.match(String(response.headers['access-control-allow-methods']), /\bPOST\b/);
      const allowedHeaders = String(response.headers['access-control-allow-headers']).toLowerCase();
      assert.match(allowedHeaders, /\bauthorization\b/);
      assert.match(allowedHeaders, /\bcontent-type\b/);
    });

    it('still refuses other origins', async () => {
      const response = await allowing.api('GET', '/sessions', { headers: { Origin: 'http://evil.example' } });
      assertError(response, 403, 'forbidden_origin');
      assertNoCors(response);
    });

    it('still needs the token on a real request from the allowed origin', async () => {
      const response = await allowing.api('GET', '/sessions', { token: null, headers: { Origin: 'http://app.example' } });
      assertError(response, 401, 'unauthorized');
    });
  });

  describe('X-Request-Id', () => {
    it('is on every response: success, 401, 403, 404 and 405', async () => {
      const responses: Array<[string, HttpResponse]> = [
        ['200 health', await server.api('GET', '/health')],
        ['201 create', await server.api('POST', '/sessions', { json: { title: 'Request ids' } })],
        ['401', await server.api('GET', '/sessions', { token: null })],
        ['403 host', await server.api('GET', '/sessions', { headers: { Host: 'evil.example' } })],
        ['403 origin', await server.api('GET', '/sessions', { headers: { Origin: 'http://evil.example' } })],
        ['404 api', await server.api('GET', '/nope')],
        ['404 root', await server.call('GET', '/nope')],
        ['405', await server.api('PUT', '/sessions', { json: { title: 'x' } })],
        ['400', await server.api('GET', '/sessions?limit=abc')],
      ];
      for (const [what, response] of responses) {
        assert.match(String(response.headers['x-request-id']), UUID, `${what}: X-Request-Id ${response.headers['x-request-id']}`);
      }
      const ids = new Set(responses.map(([, response]) => response.headers['x-request-id']));
      assert.equal(ids.size, responses.length, 'each request gets its own id');
    });

    it('is on the 413 Node answers for oversized headers', async () => {
      const response = await server.api('GET', '/health', { headers: { 'X-Padding': 'x'.repeat(64 * 1024) } });
      assert.equal(response.status, 413, response.text);
      assert.ok(response.headers['x-request-id'], `no X-Request-Id: ${JSON.stringify(response.headers)}`);
    });

    it('is on the 400 Node answers for bytes that are not HTTP', async () => {
      const response = await sendRawBytes(server.server.port, 'GARBAGE\r\n\r\n');
      assert.match(response.head, /^HTTP\/1\.1 400 /);
      assert.match(response.headers['x-request-id'] ?? '', /^\S+$/, `no X-Request-Id in ${JSON.stringify(response.headers)}`);
    });

    it('echoes a well-formed client id', async () => {
      for (const sent of ['client-42', 'abc.DEF_123:xyz', 'a'.repeat(128)]) {
        const response = await server.api('GET', '/health', { headers: { 'X-Request-Id': sent } });
        assert.equal(response.status, 200);
        assert.equal(response.headers['x-request-id'], sent);
      }
    });

    it('echoes it on errors too', async () => {
      const response = await server.api('GET', '/sessions', { token: null, headers: { 'X-Request-Id': 'trace-401' } });
      assert.equal(response.status, 401);
      assert.equal(response.headers['x-request-id'], 'trace-401');
    });

    it('replaces a malformed client id with its own', async () => {
      for (const sent of ['x'.repeat(300), 'has spaces in it', 'semi;colon', '<script>']) {
        const response = await server.api('GET', '/health', { headers: { 'X-Request-Id': sent } });
        assert.equal(response.status, 200);
        const id = String(response.headers['x-request-id']);
        assert.notEqual(id, sent);
        assert.match(id, UUID, `replacement for ${JSON.stringify(sent)}: ${id}`);
      }
    });

    it('records the echoed id on the stored event', async () => {
      const response = await server.api('POST', '/sessions', { json: { title: 'Traced' }, headers: { 'X-Request-Id': 'trace-create-1' } });
      assert.equal(response.status, 201, response.text);
      let found = false;
      for await (const event of server.server.store.readAll()) {
        if (event.streamId === response.body.data.id) found = event.meta.requestId === 'trace-create-1';
      }
      assert.ok(found, 'the SessionCreated event should carry the request id');
    });
  });
});
