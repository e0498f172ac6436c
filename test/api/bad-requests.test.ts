import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { assertError } from '../helpers/assertions';
import type { HttpResponse } from '../helpers/http';
import { sendRawBytes } from '../helpers/raw-socket';
import { startTestServer, type TestServer } from '../helpers/server';

const JSON_TYPE = { 'Content-Type': 'application/json' };

/** An invalid_request whose details name `field` (a JSON pointer). */
function assertInvalidField(response: HttpResponse, field: string, message?: RegExp): { field: string; message: string } {
  assertError(response, 400, 'invalid_request');
  const { details } = response.body.error;
  assert.ok(Array.isArray(details) && details.length > 0, `details: ${JSON.stringify(details)}`);
  for (const detail of details) {
    assert.deepEqual(Object.keys(detail).sort(), ['field', 'message']);
    assert.equal(typeof detail.field, 'string');
    assert.equal(typeof detail.message, 'string');
  }
  const problem = details.find((detail: { field: string }) => detail.field === field);
  assert.ok(problem, `no detail for ${field} in ${JSON.stringify(details)}`);
  if (message) assert.match(problem.message, message);
  return problem;
}

/** A body sent with chunked transfer encoding (no Content-Length), which httpCall does not do. */
function sendChunked(url: string, headers: Record<string, string>, chunks: Buffer[]): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, 'Transfer-Encoding': 'chunked' }, agent: false }, (res) => {
      const received: Buffer[] = [];
      res.on('data', (chunk: Buffer) => received.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(received).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
      res.on('error', reject);
    });
    // The server may answer and close before it has read everything: that is what is under test.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    (async () => {
      for (const chunk of chunks) {
        if (req.destroyed) return;
        if (!req.write(chunk)) await new Promise((drained) => req.once('drain', drained));
      }
      req.end();
    })().catch(reject);
  });
}

describe('API: bad requests (contract §4, §5.1, §5.3)', () => {
  let server: TestServer;
  let headBefore: number;
  let totalBefore: number;

  const post = (raw: string, headers: Record<string, string> = JSON_TYPE) => server.api('POST', '/sessions', { raw, headers });

  before(async () => {
    server = await startTestServer();
    for (const title of ['Existing one', 'Existing two']) {
      const created = await server.api('POST', '/sessions', { json: { title } });
      assert.equal(created.status, 201, created.text);
    }
    headBefore = server.server.store.head().position;
    totalBefore = (await server.api('GET', '/sessions')).body.meta.total;
    assert.equal(headBefore, 2);
    assert.equal(totalBefore, 2);
  });

  after(async () => {
    await server?.dispose();
  });

  describe('POST /sessions bodies', () => {
    it('answers a body that is not JSON with 400 invalid_json', async () => {
      for (const raw of ['{', '{"title": "t",}', "{'title': 't'}", 'title=t', '']) {
        assertError(await post(raw), 400, 'invalid_json', 'Request body must be valid JSON.');
      }
    });

    it('answers JSON that is not an object with 400 invalid_request and details', async () => {
      for (const raw of ['[]', '"x"', '42', 'null', 'true']) {
        const response = await post(raw);
        const problem = assertInvalidField(response, '', /object/);
        assert.ok(problem, raw);
      }
    });

    it('names /title when it is missing, empty, blank or not a string', async () => {
      assertInvalidField(await post('{}'), '/title', /required/);
      assertInvalidField(await post('{"title":""}'), '/title');
      assertInvalidField(await post('{"title":"   "}'), '/title');
      assertInvalidField(await post('{"title":"\\t\\n"}'), '/title');
      assertInvalidField(await post('{"title":5}'), '/title', /string/);
      assertInvalidField(await post('{"title":null}'), '/title');
      assertInvalidField(await post(JSON.stringify({ title: 'x'.repeat(201) })), '/title');
    });

    it('names the first bad field in the message', async () => {
      const response = await post('{"title":5}');
      assertInvalidField(response, '/title');
      assert.match(response.body.error.message, /\btitle\b/);
    });

    it('rejects an unknown field', async () => {
      const response = await post('{"title":"t","colour":"red"}');
      assertInvalidField(response, '/colour');
      assert.match(response.body.error.message, /colour/);
    });

    it('rejects a server-managed field, saying it is read-only', async () => {
      for (const field of ['id', 'version', 'createdAt', 'previewUrl']) {
        const response = await post(JSON.stringify({ [field]: field === 'version' ? 1 : 'x', title: 'y' }));
        assertInvalidField(response, `/${field}`, /read-only/i);
        assert.match(response.body.error.message, /read-only/i);
      }
    });

    it('rejects a __proto__ key instead of letting it through', async () => {
      const response = await post('{"__proto__":{"x":1},"title":"t"}');
      assertInvalidField(response, '/__proto__');
    });

    it('rejects a constructor or prototype key', async () => {
      assertInvalidField(await post('{"constructor":{"x":1},"title":"t"}'), '/constructor');
      assertInvalidField(await post('{"prototype":{"x":1},"title":"t"}'), '/prototype');
    });

    it('rejects more than 64 tags and a tag over 48 characters', async () => {
      const tags = Array.from({ length: 65 }, (_, index) => `tag-${index}`);
      assertInvalidField(await post(JSON.stringify({ title: 't', tags })), '/tags');
      assertInvalidField(await post(JSON.stringify({ title: 't', tags: ['ok', 'x'.repeat(49)] })), '/tags/1');
      assertInvalidField(await post(JSON.stringify({ title: 't', tags: ['ok', '  '] })), '/tags/1');
      assertInvalidField(await post(JSON.stringify({ title: 't', tags: 'not-a-list' })), '/tags');
      assertInvalidField(await post(JSON.stringify({ title: 't', tags: [1] })), '/tags/0');
    });

    it('rejects a status that is no slug in any spelling (Draft, in progress and "" are accepted: issue 18)', async () => {
      for (const status of ['-draft', 'draft-', 'in--progress', 'Über', 'done!', 'x'.repeat(33)]) {
        assertInvalidField(await post(JSON.stringify({ title: 't', status })), '/status');
      }
    });

    it('rejects an accent that is neither a slug nor #rrggbb', async () => {
      for (const accent of ['#12345', 'Red!', '#gggggg']) {
        assertInvalidField(await post(JSON.stringify({ title: 't', accent })), '/accent');
      }
    });

    it('rejects a relative projectPath', async () => {
      for (const projectPath of ['relative/path', './x.als', 'x.als', ' x.als']) {
        assertInvalidField(await post(JSON.stringify({ title: 't', projectPath })), '/projectPath', /absolute/);
      }
    });

    it('lists every bad field in details', async () => {
      const response = await post(JSON.stringify({ title: '', status: 'Draft!', colour: 'red', projectPath: 'relative' }));
      for (const field of ['/title', '/status', '/colour', '/projectPath']) assertInvalidField(response, field);
    });

    it('rejects kind, client and notes out of bounds', async () => {
      assertInvalidField(await post(JSON.stringify({ title: 't', kind: 'k'.repeat(65) })), '/kind');
      assertInvalidField(await post(JSON.stringify({ title: 't', client: 'c'.repeat(201) })), '/client');
      assertInvalidField(await post(JSON.stringify({ title: 't', notes: 'n'.repeat(20_001) })), '/notes');
    });

    it('answers a body over 1 MiB with 413 payload_too_large', async () => {
      const raw = JSON.stringify({ title: 't', notes: 'x'.repeat(2 * 1024 * 1024) });
      assertError(await post(raw), 413, 'payload_too_large');
    });

    it('answers a chunked body over 1 MiB (no Content-Length) with 413 payload_too_large', async () => {
      const chunks = [Buffer.from('{"title":"t","notes":"'), ...Array.from({ length: 32 }, () => Buffer.alloc(64 * 1024, 'x')), Buffer.from('"}')];
      const response = await sendChunked(`${server.baseUrl}/sessions`, { ...JSON_TYPE, Authorization: `Bearer ${server.token}` }, chunks);
      assertError(response, 413, 'payload_too_large');
    });

    it('answers a body that is not application/json with 415 unsupported_media_type', async () => {
      const raw = JSON.stringify({ title: 'Typed wrong' });
      // text/plain from a bearer client is read as JSON (issue 18): test/fidelity/inputs-requests.test.ts.
      for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain; charset=latin1', 'application/json; charset=latin1']) {
        assertError(await post(raw, { 'Content-Type': type }), 415, 'unsupported_media_type');
      }
    });

    it('reads a JSON body without Content-Type from a bearer client (contract §4, issue 18: it was 415)', async () => {
      const response = await post(JSON.stringify({ title: 'Untyped' }), {});
      assert.equal(response.status, 201, response.text);
      headBefore += 1;
      totalBefore += 1;
    });

    it('accepts application/json with a utf-8 charset (control: the same body works)', async () => {
      const response = await post(JSON.stringify({ title: 'Typed right' }), { 'Content-Type': 'application/json; charset=utf-8' });
      assert.equal(response.status, 201, response.text);
      headBefore += 1;
      totalBefore += 1;
    });

    it('applies the length rules to the trimmed title and tags (contract §5.1: "trimmed; 1-200 chars")', async () => {
      // Given a title of exactly 200 characters once trimmed, and a tag of exactly 48 once trimmed
      const title = 'x'.repeat(200);
      const tag = 't'.repeat(48);
      // When they arrive padded with spaces
      const response = await post(JSON.stringify({ title: ` ${title} `, tags: [` ${tag} `] }));
      // Then they are accepted and stored trimmed
      assert.equal(response.status, 201, response.text);
      assert.equal(response.body.data.title, title);
      assert.deepEqual(response.body.data.tags, [tag]);
      headBefore += 1;
      totalBefore += 1;
    });

    it('wrote nothing for any of the refused bodies', async () => {
      assert.equal(server.server.store.head().position, headBefore);
      const list = await server.api('GET', '/sessions');
      assert.equal(list.status, 200);
      assert.equal(list.body.meta.total, totalBefore);
    });
  });

  describe('routes and methods', () => {
    it('answers an unknown /api/v1 route with the 404 not_found envelope', async () => {
      assertError(await server.api('GET', '/nope'), 404, 'not_found');
      assertError(await server.api('POST', '/nope', { json: {} }), 404, 'not_found');
    });

    it('answers an unknown path outside the API with the 404 envelope, not HTML', async () => {
      const response = await server.call('GET', '/nope');
      assertError(response, 404, 'not_found');
      assert.doesNotMatch(response.text, /<html/i);
    });

    it('answers an unknown session id with 404 not_found', async () => {
      assertError(await server.api('GET', '/sessions/session_01ARZ3NDEKTSV4RRFFQ69G5FAV'), 404, 'not_found', 'session not found');
    });

    it('answers a wrong method on a known path with 405 and an Allow header', async () => {
      const response = await server.api('PUT', '/sessions', { json: { title: 'x' } });
      assertError(response, 405, 'method_not_allowed');
      const allow = String(response.headers.allow).split(',').map((method) => method.trim());
      assert.ok(allow.includes('GET'), `Allow: ${response.headers.allow}`);
      assert.ok(allow.includes('POST'), `Allow: ${response.headers.allow}`);
      assert.ok(!allow.includes('PUT'), `Allow: ${response.headers.allow}`);
    });

    it('answers DELETE /api/v1/sessions (no such verb on the collection) with 405', async () => {
      const response = await server.api('DELETE', '/sessions');
      assertError(response, 405, 'method_not_allowed');
      assert.match(String(response.headers.allow), /\bGET\b/);
    });
  });

  describe('requests Node rejects before the app sees them', () => {
    it('answers bytes that are not HTTP with the 400 invalid_request JSON envelope', async () => {
      const response = await sendRawBytes(server.server.port, 'GARBAGE\r\n\r\n');
      assert.match(response.head, /^HTTP\/1\.1 400 /);
      assert.match(response.headers['content-type'] ?? '', /^application\/json\b/);
      assert.equal(response.body?.error?.status, 400);
      assert.equal(response.body?.error?.code, 'invalid_request');
      assert.equal(typeof response.body?.error?.message, 'string');
    });

    it('gives that invalid_request a details array too (§4: "on every invalid_request")', async () => {
      const response = await sendRawBytes(server.server.port, 'GARBAGE\r\n\r\n');
      assert.equal(response.body?.error?.code, 'invalid_request');
      assert.ok(Array.isArray(response.body?.error?.details), `no details array: ${JSON.stringify(response.body)}`);
    });

    it('answers headers over the limit with the 413 payload_too_large envelope', async () => {
      const response = await server.api('GET', '/health', { headers: { 'X-Padding': 'x'.repeat(64 * 1024) } });
      assertError(response, 413, 'payload_too_large');
    });
  });

  describe('OPTIONS without a CORS preflight', () => {
    it('answers with an Allow header and never a non-JSON body (§1: every response is JSON)', async () => {
      const response = await server.api('OPTIONS', '/sessions');
      assert.ok(response.status === 200 || response.status === 204, `status ${response.status}`);
      const allow = String(response.headers.allow);
      assert.match(allow, /\bGET\b/);
      assert.match(allow, /\bPOST\b/);
      if (response.status === 200) {
        assert.match(String(response.headers['content-type']), /^application\/json\b/, `content-type ${response.headers['content-type']}`);
        assert.notEqual(response.body, undefined, `body ${JSON.stringify(response.text)}`);
      } else {
        assert.equal(response.text, '');
      }
    });
  });

  describe('GET /sessions query', () => {
    for (const query of ['limit=abc', 'limit=0', 'limit=-1', 'limit=1.5', 'limit=', 'offset=-1', 'offset=abc', 'limit=10&limit=20', 'offset=0&offset=1']) {
      it(`answers ${query} with 400 invalid_query`, async () => {
        assertError(await server.api('GET', `/sessions?${query}`), 400, 'invalid_query');
      });
    }

    it('clamps limit=1000 to 500', async () => {
      const response = await server.api('GET', '/sessions?limit=1000');
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.meta.limit, 500);
      assert.equal(response.body.meta.offset, 0);
    });

    it('clamps a limit too large for a 64-bit integer to 500 too (§5.3: "larger is clamped")', async () => {
      const response = await server.api('GET', '/sessions?limit=99999999999999999999');
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.meta.limit, 500);
    });

    it('uses the given limit and offset (control)', async () => {
      const response = await server.api('GET', '/sessions?limit=1&offset=1');
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body.meta, { total: totalBefore, limit: 1, offset: 1 });
      assert.equal(response.body.data.length, 1);
    });
  });
});
