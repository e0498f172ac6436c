import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { Context } from 'koa';
import { readJsonBody } from '../../src/http/body';
import { assertError } from '../helpers/assertions';
import { sine, tempAudioDir, writeWav, type AudioDir } from '../helpers/audio';
import { httpCall, type HttpResponse } from '../helpers/http';
import { rawHttp, requestBytes } from '../helpers/raw-http';
import { startTestServer, type TestServer } from '../helpers/server';

/*
 * Issue 18 items 4, 8 and 9: how scripts and generated clients really send a request. Python's
 * `requests` spells a boolean `True` and sends `data=` without a Content-Type; fetch sends a string
 * body as text/plain; a base URL with a trailing slash doubles the slash; `If-Match: ${etag ?? ""}`
 * and `Idempotency-Key: ${key ?? ""}` send empty headers.
 */

type Json = Record<string, any>;

describe('fidelity: query booleans, merged slashes, bodies without a JSON Content-Type, empty headers (issue 18 items 4, 8, 9)', () => {
  let server: TestServer;
  let audio: AudioDir;

  const head = () => server.server.store.head().position;
  const auth = () => ({ Authorization: `Bearer ${server.token}` });
  /** A request to a path as written (not checked against the document: a doubled slash is no documented path). */
  const send = (method: string, path: string, options: { headers?: Record<string, string>; raw?: string; json?: unknown } = {}) => httpCall(`${server.origin}${path}`, method, options);
  const create = async (title: string) => {
    const response = await server.api('POST', '/sessions', { json: { title } });
    assert.equal(response.status, 201, response.text);
    return response.body.data as Json;
  };

  before(async () => {
    audio = tempAudioDir();
    server = await startTestServer();
    await create('Never opened A');
    await create('Never opened B');
  });

  after(async () => {
    await server?.dispose();
    audio?.cleanup();
  });

  describe('recent as scripts spell it (item 4)', () => {
    it('Python requests sends recent=True: 200, the same as recent=true', async () => {
      const python = await server.api('GET', '/sessions?recent=True');
      const canonical = await server.api('GET', '/sessions?recent=true');

      assert.equal(python.status, 200, python.text);
      assert.deepEqual(python.body, canonical.body);
      assert.deepEqual(python.body.data, [], 'no session was opened');
    });

    it('true/1/yes in any case filter; false/0/no in any case do not', async () => {
      const total = (await server.api('GET', '/sessions')).body.meta.total;
      for (const value of ['true', 'TRUE', '1', 'yes', 'Yes']) {
        const response = await server.api('GET', `/sessions?recent=${value}`);
        assert.equal(response.status, 200, response.text);
        assert.equal(response.body.meta.total, 0, value);
      }
      for (const value of ['false', 'False', '0', 'no', 'NO']) {
        const response = await server.api('GET', `/sessions?recent=${value}`);
        assert.equal(response.status, 200, response.text);
        assert.equal(response.body.meta.total, total, value);
      }
    });

    it('anything else: 400 invalid_query listing the accepted values', async () => {
      for (const value of ['maybe', '2', 'on', '', 'true%20']) {
        const response = await server.api('GET', `/sessions?recent=${value}`);
        assertError(response, 400, 'invalid_query', 'recent must be one of true, false, 1, 0, yes, no (in any case).');
      }
    });
  });

  describe('repeated slashes (item 4)', () => {
    it('a base URL with a trailing slash joined to /sessions: GET and POST work as on /api/v1/sessions', async () => {
      const base = `${server.origin}/api/v1/`;
      const listed = await httpCall(`${base}/sessions?limit=1`, 'GET', { headers: auth() });
      const created = await httpCall(`${base}/sessions`, 'POST', { headers: auth(), json: { title: 'Via a trailing slash' } });

      assert.equal(listed.status, 200, listed.text);
      assert.equal(listed.body.meta.limit, 1, 'the query string is kept');
      assert.equal(created.status, 201, created.text);
      assert.equal(created.headers.location, `/api/v1/sessions/${created.body.data.id}`);
    });

    it('slashes doubled anywhere, a trailing one too: //api/v1//sessions/, /api//v1/health', async () => {
      for (const path of ['//api/v1//sessions/', '/api//v1/health', '///api///v1///sessions']) {
        const response = await send('GET', path, { headers: auth() });
        assert.equal(response.status, 200, `${path}: ${response.text}`);
      }
    });

    it('the token is still required on every spelling: 401', async () => {
      for (const path of ['//api/v1/sessions', '/api//v1/sessions', '//api//v1//health', '//API/v1/sessions']) {
        const response = await send('GET', path);
        assertError(response, 401, 'unauthorized', 'Provide Authorization: Bearer <token>.');
      }
    });

    it('the Host and Origin guards still apply: 403', async () => {
      const outcome = await rawHttp(server.server.port, requestBytes({ method: 'GET', target: '//api/v1//sessions', headers: [['Host', 'evil.example'], ['Authorization', `Bearer ${server.token}`]] }));
      assert.equal(outcome.response?.status, 403, outcome.response?.text);
      assert.equal(outcome.response.body.error.code, 'forbidden_host');
      const foreign = await send('GET', '//api/v1/sessions', { headers: { ...auth(), Origin: 'https://evil.example' } });
      assertError(foreign, 403, 'forbidden_origin');
    });

    it('405 and 404 answer on the merged path', async () => {
      const wrongMethod = await send('DELETE', '/api/v1//sessions', { headers: auth() });
      assertError(wrongMethod, 405, 'method_not_allowed', 'DELETE is not allowed on /api/v1/sessions.');
      assert.equal(wrongMethod.headers.allow, 'HEAD, GET, POST');
      const unknown = await send('GET', '/api/v1//nothing//here', { headers: auth() });
      assertError(unknown, 404, 'not_found', 'No route GET /api/v1/nothing/here.');
    });

    it('reaches no file: the docs assets stay a fixed table whatever the slashes or dots', async () => {
      const served = await send('GET', '//docs//assets//swagger-ui.css');
      assert.equal(served.status, 200);
      assert.match(String(served.headers['content-type']), /^text\/css/);
      for (const path of ['/docs/assets//..//..//package.json', '/docs//assets/..%2F..%2Fpackage.json', '//docs/assets/%2E%2E/%2E%2E/package.json', '/docs/assets//etc/passwd']) {
        const response = await send('GET', path);
        assert.equal(response.status, 404, `${path}: ${response.text.slice(0, 200)}`);
        assert.equal(response.body.error.code, 'not_found');
      }
    });
  });

  describe('a JSON body without a JSON Content-Type (item 8)', () => {
    it('Python requests with data=json.dumps(...) sends no Content-Type: 201', async () => {
      const response = await server.api('POST', '/sessions', { raw: JSON.stringify({ title: 'From Python' }) });

      assert.equal(response.status, 201, response.text);
      assert.equal(response.body.data.title, 'From Python');
    });

    it('fetch with a string body sends text/plain;charset=UTF-8: 201; a PATCH the same', async () => {
      const created = await server.api('POST', '/sessions', { raw: JSON.stringify({ title: 'From fetch' }), headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
      assert.equal(created.status, 201, created.text);

      const patched = await server.api('PATCH', `/sessions/${created.body.data.id}`, { raw: JSON.stringify({ status: 'review' }), headers: { 'Content-Type': 'text/plain' } });

      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.body.data.status, 'review');
    });

    it('without Content-Type, a body that does not parse (or no body): 400 invalid_json, nothing written', async () => {
      const before = head();
      for (const raw of ['title=Form', '{"title":', '']) {
        const response = await server.api('POST', '/sessions', { raw });
        assertError(response, 400, 'invalid_json', 'Request body must be valid JSON.');
      }
      assert.equal(head(), before);
    });

    it('text/plain in another charset: 415 "Request body must be encoded in UTF-8."', async () => {
      const response = await server.api('POST', '/sessions', { raw: JSON.stringify({ title: 'Latin' }), headers: { 'Content-Type': 'text/plain; charset=iso-8859-1' } });

      assertError(response, 415, 'unsupported_media_type', 'Request body must be encoded in UTF-8.');
    });

    it('other media types keep 415, the token notwithstanding (curl -d sends a form type)', async () => {
      for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/html', 'application/xml']) {
        const response = await server.api('POST', '/sessions', { raw: JSON.stringify({ title: 'Typed wrong' }), headers: { 'Content-Type': type } });
        assertError(response, 415, 'unsupported_media_type', `Request body must be application/json, not ${type.split(';')[0]}: send Content-Type: application/json.`);
      }
    });

    it('only a bearer-authenticated request gets the leniency: without it (a later cookie session), no Content-Type or text/plain is 415', async () => {
      const request = (headers: Record<string, string>, authenticatedBy?: string) =>
        ({ request: { headers }, state: authenticatedBy ? { authenticatedBy } : {}, req: Readable.from([Buffer.from('{"title":"x"}')]) }) as unknown as Context;

      await assert.rejects(readJsonBody(request({})), { code: 'unsupported_media_type', message: 'Request body must be application/json: set Content-Type.' });
      await assert.rejects(readJsonBody(request({ 'content-type': 'text/plain' }, 'cookie')), { code: 'unsupported_media_type', message: 'Request body must be application/json, not text/plain: send Content-Type: application/json.' });
      assert.deepEqual(await readJsonBody(request({ 'content-length': '13' }, 'bearer')), { title: 'x' });
    });
  });

  describe('empty headers are not absent headers (item 9)', () => {
    it('If-Match: "" (a client sending ${etag ?? ""}) matches nothing: 412, nothing written', async () => {
      const session = await create('Guarded');
      const before = head();
      const attempts: Array<[string, string, unknown]> = [
        ['PATCH', `/sessions/${session.id}`, { title: 'Lost update' }],
        ['PUT', `/sessions/${session.id}/notes`, { notes: 'Lost update' }],
        ['PUT', `/sessions/${session.id}/tags`, { tags: ['lost'] }],
        ['DELETE', `/sessions/${session.id}`, undefined],
      ];

      for (const [method, path, json] of attempts) {
        const response = await server.api(method, path, { json, headers: { 'If-Match': '' } });
        assertError(response, 412, 'version_conflict', "If-Match does not match the session's current version 1.");
      }
      assert.equal(head(), before);
      const withoutHeader = await server.api('PATCH', `/sessions/${session.id}`, { json: { title: 'No precondition' } });
      assert.equal(withoutHeader.status, 200, 'no If-Match header at all is still no precondition');
    });

    it('Idempotency-Key: "" is 400 invalid_request naming the header, on each route that takes one; nothing written', async () => {
      const session = await create('Keyed');
      const wav = writeWav(audio.file('keyed.wav'), sine({ durationS: 0.1 }));
      const before = head();
      const routes: Array<[string, unknown]> = [
        ['/sessions', { title: 'Keyed twice' }],
        ['/import', { items: [{ projectPath: audio.path }] }],
        [`/sessions/${session.id}/previews`, { path: wav }],
      ];
      const message = 'is empty: send 1-255 visible ASCII characters, or leave the header out';

      for (const [path, json] of routes) {
        const response = await server.api('POST', path, { json, headers: { 'Idempotency-Key': '' } });
        assertError(response, 400, 'invalid_request', `Idempotency-Key ${message}.`);
        assert.deepEqual(response.body.error.details, [{ field: 'Idempotency-Key', message }]);
      }
      assert.equal(head(), before);
    });

    it('a key outside 1-255 visible ASCII characters: 400 invalid_request', async () => {
      for (const key of ['k'.repeat(256), 'with space']) {
        const response: HttpResponse = await server.api('POST', '/sessions', { json: { title: 'Bad key' }, headers: { 'Idempotency-Key': key } });
        assertError(response, 400, 'invalid_request', 'Idempotency-Key must be 1-255 visible ASCII characters.');
      }
    });
  });
});
