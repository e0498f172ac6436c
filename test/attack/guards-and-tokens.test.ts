import assert from 'node:assert/strict';
import { assertError } from '../helpers/assertions';
import { describedDocument } from '../helpers/conformance';
import { eventually } from '../helpers/eventually';
import type { HttpOptions } from '../helpers/http';
import { tempProjects, type ProjectTree } from '../helpers/projects';
import { rawHttp, requestBytes } from '../helpers/raw-http';
import { startTestServer, type TestServer } from '../helpers/server';
import { countAttack } from './tally';

/*
 * Issue 8 item 4: the Host and Origin guards against DNS-rebinding and cross-site shapes, and the
 * bearer token against every way of presenting it wrongly, on every kind of /api/v1 route (every
 * operation the OpenAPI document lists). Complements test/api/guards.test.ts and auth.test.ts,
 * which check the same rules on a few routes. Nothing refused may write.
 */

const SUITE = 'guards-and-tokens';

interface Operation {
  method: string;
  template: string;
  path: string;
  options: HttpOptions;
}

describe('attack: Host/Origin guards and token variants on every /api/v1 route (contract §1, §2)', () => {
  let server: TestServer;
  let projects: ProjectTree;
  let operations: Operation[];

  /** Every documented /api/v1 operation, its ids filled with real ones and a body it would accept. */
  const buildOperations = (sessionId: string, importId: string): Operation[] => {
    const bodies: Record<string, unknown> = {
      'POST /api/v1/sessions': { title: 'Attack' },
      'PATCH /api/v1/sessions/{id}': { title: 'Attacked' },
      'PUT /api/v1/sessions/{id}/tags': { tags: ['x'] },
      'PATCH /api/v1/sessions/{id}/tags': { tags: ['x'] },
      'PUT /api/v1/sessions/{id}/notes': { notes: 'x' },
      'PATCH /api/v1/sessions/{id}/notes': { notes: 'x' },
      'PUT /api/v1/sessions/{id}/waveform-notes': { notes: [{ timestamp: 1, text: 'x' }] },
      'PATCH /api/v1/sessions/{id}/waveform-notes': { notes: [{ timestamp: 1, text: 'x' }] },
      'POST /api/v1/sessions/{id}/previews': { path: projects.path('Song/Bounces/other.wav'), id: 'preview_other' },
      'POST /api/v1/import': { items: [{ projectPath: projects.path('Other') }] },
    };
    const document = describedDocument();
    return Object.entries(document.paths)
      .filter(([template]) => template.startsWith('/api/v1/'))
      .flatMap(([template, methods]) =>
        Object.keys(methods).map((name) => {
          const method = name.toUpperCase();
          const path = template.replace('{id}', sessionId).replace('{variantId}', 'preview_main').replace('{importId}', importId);
          const body = bodies[`${method} ${template}`];
          return { method, template, path, options: body === undefined ? {} : { json: body } };
        }),
      );
  };

  const send = (operation: Operation, headers: Record<string, string>, path = operation.path) =>
    server.call(operation.method, path, { ...operation.options, headers: { ...headers } });
  const bearer = () => ({ Authorization: `Bearer ${server.token}` });
  const head = () => server.server.store.head().position;

  before(async () => {
    projects = tempProjects('sessiondock-attack-');
    projects.file('Song/Song.als', '');
    projects.wav('Song/Bounces/mix.wav');
    projects.wav('Song/Bounces/other.wav');
    projects.folder('Other');
    projects.folder('Empty');
    server = await startTestServer();
    const created = await server.api('POST', '/sessions', { json: { title: 'Target', projectPath: projects.path('Song') } });
    assert.equal(created.status, 201, created.text);
    const sessionId = created.body.data.id;
    const attached = await server.api('POST', `/sessions/${sessionId}/previews`, { json: { path: projects.path('Song/Bounces/mix.wav'), id: 'preview_main' } });
    assert.equal(attached.status, 201, attached.text);
    const imported = await server.api('POST', '/import', { json: { items: [{ projectPath: projects.path('Empty') }] } });
    assert.equal(imported.status, 202, imported.text);
    // The import and the preview analysis write in the background: settled before any test counts events.
    await eventually(async () => (await server.api('GET', `/import/${imported.body.data.importId}`)).body.data.done, (done) => done === true, 'the import');
    await eventually(async () => (await server.api('GET', `/sessions/${sessionId}/preview`)).body.data.previewStatus, (status) => status === 'ready', 'the preview analysis');
    operations = buildOperations(sessionId, imported.body.data.importId);
    assert.ok(operations.length >= 25, `only ${operations.length} operations`);
  });

  after(async () => {
    await server?.dispose();
    projects?.cleanup();
  });

  describe('Host (DNS rebinding: the browser sends the attacker name it resolved)', () => {
    const rebindingHosts = (port: number) => [
      'evil.com',
      `evil.com:${port}`,
      '127.0.0.1.evil.com',
      `127.0.0.1.evil.com:${port}`,
      `localhost.evil.com:${port}`,
      `evil.localhost:${port}`,
      `127.0.0.1@evil.com:${port}`,
      `[::1].evil.com:${port}`,
      `localhost.:${port}`,
      `127.1:${port}`,
      `2130706433:${port}`,
      `0x7f000001:${port}`,
      `127.0.0.2:${port}`,
      `0.0.0.0:${port}`,
      `[::ffff:127.0.0.1]:${port}`,
    ];

    it('answers 403 forbidden_host on every route, with a valid token, and writes nothing', async () => {
      const before = head();
      for (const operation of operations) {
        for (const host of rebindingHosts(server.server.port)) {
          countAttack(SUITE);
          const response = await send(operation, { ...bearer(), Host: host });
          assertError(response, 403, 'forbidden_host');
        }
      }
      assert.equal(head(), before, 'a request with a foreign Host wrote to the log');
    });

    it('answers an empty Host (sent byte for byte: HTTP clients fill it in) with 403 forbidden_host', async () => {
      const port = server.server.port;
      for (const value of ['', ' ', ':80', `:${port}`]) {
        countAttack(SUITE);
        const outcome = await rawHttp(port, requestBytes({ method: 'GET', target: '/api/v1/health', headers: [['Host', value], ['Authorization', `Bearer ${server.token}`]] }));
        assert.equal(outcome.response?.status, 403, `Host ${JSON.stringify(value)}: ${outcome.response?.statusLine}`);
        assert.equal(outcome.response.body.error.code, 'forbidden_host');
      }
    });

    it('lets a loopback name on another port through, as §1 says ("any port or none"): not a rebinding shape', async () => {
      const other = server.server.port === 65535 ? 1 : server.server.port + 1;
      for (const host of [`localhost:${other}`, `127.0.0.1:${other}`, `[::1]:${other}`, 'LOCALHOST']) {
        countAttack(SUITE);
        const response = await server.api('GET', '/health', { headers: { Host: host } });
        assert.equal(response.status, 200, `Host ${host}: ${response.text}`);
      }
    });
  });

  describe('Origin (a page on another site calling with fetch or a form)', () => {
    const foreignOrigins = (port: number) => [
      'http://evil.com',
      `http://evil.com:${port}`,
      'null',
      `http://127.0.0.1.evil.com:${port}`,
      `https://127.0.0.1:${port}`,
      `http://127.0.0.1:${port === 65535 ? 1 : port + 1}`,
      `http://localhost:${port}.evil.com`,
      `http://127.0.0.1:${port}/`,
      'file://',
    ];

    it('answers 403 forbidden_origin on every route, writes included, with a valid token, and writes nothing', async () => {
      const before = head();
      for (const operation of operations) {
        for (const origin of foreignOrigins(server.server.port)) {
          countAttack(SUITE);
          const response = await send(operation, { ...bearer(), Origin: origin });
          assertError(response, 403, 'forbidden_origin');
          assert.equal(response.headers['access-control-allow-origin'], undefined, `CORS for ${origin}`);
        }
      }
      assert.equal(head(), before, 'a cross-site request wrote to the log');
    });

    it('answers a preflight from a foreign origin with 403 and no CORS headers', async () => {
      for (const operation of operations.filter((op) => op.method !== 'GET')) {
        countAttack(SUITE);
        const response = await server.call('OPTIONS', operation.path, {
          headers: { Origin: 'http://evil.com', 'Access-Control-Request-Method': operation.method, 'Access-Control-Request-Headers': 'authorization, content-type' },
        });
        assertError(response, 403, 'forbidden_origin');
        const cors = Object.keys(response.headers).filter((name) => name.startsWith('access-control-'));
        assert.deepEqual(cors, []);
      }
    });
  });

  describe('token variants (contract §2: missing, malformed or wrong → 401)', () => {
    const swapCase = (token: string) => [...token].map((char) => (char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase())).join('');
    /** Authorization header values (undefined: none), and a query string to add. */
    const variants = (token: string): Array<{ name: string; authorization?: string; query?: string; headers?: Record<string, string> }> => [
      { name: 'missing' },
      { name: 'wrong', authorization: `Bearer ${'A'.repeat(token.length)}` },
      { name: 'truncated', authorization: `Bearer ${token.slice(0, -1)}` },
      { name: 'half of it', authorization: `Bearer ${token.slice(0, token.length / 2)}` },
      { name: 'token case swapped', authorization: `Bearer ${swapCase(token)}` },
      { name: 'token upper-cased', authorization: `Bearer ${token.toUpperCase()}` },
      { name: 'two spaces after Bearer', authorization: `Bearer  ${token}` },
      { name: 'a tab after Bearer', authorization: `Bearer\t${token}` },
      { name: 'a space inside', authorization: `Bearer ${token.slice(0, 10)} ${token.slice(10)}` },
      { name: 'a trailing word', authorization: `Bearer ${token} x` },
      { name: 'Bearer twice', authorization: `Bearer Bearer ${token}` },
      { name: 'two credentials in one header', authorization: `Bearer ${token}, Bearer ${token}` },
      { name: 'quoted', authorization: `Bearer "${token}"` },
      { name: 'no scheme', authorization: token },
      { name: 'Basic scheme', authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` },
      { name: 'Token scheme', authorization: `Token ${token}` },
      { name: '"Bearer:"', authorization: `Bearer: ${token}` },
      { name: '"Bearer="', authorization: `Bearer=${token}` },
      { name: 'Bearer and nothing', authorization: 'Bearer' },
      { name: 'token + NUL', authorization: `Bearer ${token}%00` },
      { name: 'token in the query string (?token=)', query: `token=${token}` },
      { name: 'token in the query string (?access_token=)', query: `access_token=${token}` },
      { name: 'token in a cookie', headers: { Cookie: `token=${token}; sessiondock_token=${token}` } },
      { name: 'token in X-Api-Key', headers: { 'X-Api-Key': token, 'X-Auth-Token': token } },
      { name: 'token in Proxy-Authorization', headers: { 'Proxy-Authorization': `Bearer ${token}` } },
    ];

    it('answers 401 unauthorized with the exact envelope on every route kind for every variant, and writes nothing', async () => {
      const before = head();
      for (const operation of operations) {
        for (const variant of variants(server.token)) {
          countAttack(SUITE);
          const headers = { ...(variant.authorization === undefined ? {} : { Authorization: variant.authorization }), ...variant.headers };
          const path = variant.query ? `${operation.path}?${variant.query}` : operation.path;
          const response = await send(operation, headers, path);
          assertError(response, 401, 'unauthorized', 'Provide Authorization: Bearer <token>.');
          assert.ok(!response.text.includes(server.token), `${variant.name}: the token is echoed`);
        }
      }
      assert.equal(head(), before, 'a request without the right token wrote to the log');
    });

    it('refuses two Authorization headers whose first is wrong (Node keeps the first)', async () => {
      const port = server.server.port;
      for (const operation of operations) {
        countAttack(SUITE);
        const path = operation.path;
        const outcome = await rawHttp(
          port,
          requestBytes({ method: 'GET', target: path, headers: [['Host', `127.0.0.1:${port}`], ['Authorization', 'Bearer wrong'], ['Authorization', `Bearer ${server.token}`]] }),
        );
        assert.equal(outcome.response?.status, 401, `${operation.method} ${path}: ${outcome.response?.text}`);
      }
    });

    it('accepts optional white space around the whole header value (RFC 9110 §5.5: not part of the value; control)', async () => {
      const port = server.server.port;
      countAttack(SUITE);
      const outcome = await rawHttp(port, requestBytes({ method: 'GET', target: '/api/v1/health', headers: [['Host', `127.0.0.1:${port}`], ['Authorization', ` \tBearer ${server.token} \t`]] }));
      assert.equal(outcome.response?.status, 200, outcome.response?.text);
    });

    const caseVariants = ['/API/V1', '/Api/v1', '/api/V1', '/API/v1'];
    it(
      'needs the token on every spelling of /api/v1 (/API/V1, /Api/v1 ...), and with it such a spelling is no route (404)',
      async () => {
        const before = head();
        for (const operation of operations) {
          for (const prefix of caseVariants) {
            countAttack(SUITE);
            const path = operation.path.replace('/api/v1', prefix);
            const response = await server.call(operation.method, path, { ...operation.options });
            assertError(response, 401, 'unauthorized');
          }
        }
        assert.equal(head(), before, 'a request without the token wrote to the log');
        // With the token, the other spelling is not a route: nothing is served and nothing written.
        assertError(await server.call('POST', '/API/V1/sessions', { json: { title: 'Recased' }, headers: bearer() }), 404, 'not_found');
        assert.equal(head(), before);
      },
    );
  });
});
