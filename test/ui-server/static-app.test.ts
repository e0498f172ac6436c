import assert from 'node:assert/strict';
import { rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { assertError } from '../helpers/assertions';
import { httpCall } from '../helpers/http';
import { rawHttp, requestBytes } from '../helpers/raw-http';
import { startTestServer, type TestServer } from '../helpers/server';
import { APP_JS, assertPageHeaders, fixtureUi, get, HASHED_CSS, HASHED_CSS_NAME, INDEX_HTML } from './fixtures';

/*
 * Issue 19, serving the app (contract §11): a browser pointed at the server lands in the app,
 * which routes on the client, so every /app/... path that is not a built file answers index.html;
 * built files are found by name in the set read at start, so no spelling of a path reaches
 * anything else on disk; every page carries the policy that allows no inline script and no other
 * origin. No token is needed: nothing here holds user data.
 */

describe('web app: the built app at /app/, its headers, and what no path can reach (issue 19, contract §11)', () => {
  let scratch: string;
  let uiDirectory: string;
  let server: TestServer;

  before(async () => {
    ({ scratch, uiDirectory } = fixtureUi());
    server = await startTestServer({}, { uiDirectory });
  });

  after(async () => {
    await server.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('sends / and /app to /app/ (302)', async () => {
    for (const path of ['/', '/app']) {
      const response = await get(server.origin, path);
      assert.equal(response.status, 302, `${path}: ${response.text}`);
      assert.equal(response.headers.location, '/app/');
    }
  });

  it('serves index.html at /app/ without a token, no-cache, with the CSP, nosniff and no-referrer', async () => {
    const response = await get(server.origin, '/app/');

    assert.equal(response.status, 200);
    assert.equal(response.text, INDEX_HTML);
    assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(response.headers['cache-control'], 'no-cache');
    assertPageHeaders(response, '/app/');
  });

  it('answers the client-side routes (/app/sessions/<id>, /app/import, unknown names) with index.html', async () => {
    for (const path of ['/app/sessions/session_01ARZ3NDEKTSV4RRFFQ69G5FAV', '/app/import', '/app/no-such-file.js', '/app/sessions/app.js', '/app/?q=x']) {
      const response = await get(server.origin, path);
      assert.equal(response.status, 200, path);
      assert.equal(response.text, INDEX_HTML, path);
      assertPageHeaders(response, path);
    }
  });

  it('serves built files by name with their type; a hashed name is cached for a year, immutable', async () => {
    const script = await get(server.origin, '/app/app.js');
    assert.equal(script.status, 200);
    assert.equal(script.text, APP_JS);
    assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(script.headers['cache-control'], 'no-cache');
    assertPageHeaders(script, '/app/app.js');

    const style = await get(server.origin, `/app/${HASHED_CSS_NAME}`);
    assert.equal(style.text, HASHED_CSS);
    assert.equal(style.headers['content-type'], 'text/css; charset=utf-8');
    assert.equal(style.headers['cache-control'], 'public, max-age=31536000, immutable');
  });

  it('revalidates with the ETag (304, no body), and HEAD sends the headers alone', async () => {
    const first = await get(server.origin, '/app/');
    const etag = String(first.headers.etag);
    assert.match(etag, /^W\/"[0-9a-f]+-[0-9a-f]+"$/);

    const again = await get(server.origin, '/app/', { 'If-None-Match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');

    const head = await httpCall(`${server.origin}/app/app.js`, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(APP_JS)));
  });

  it('never serves anything but index.html or a built file, whatever the path says', async () => {
    const targets = [
      '/app/../../etc/passwd',
      '/app/..%2f..%2fetc%2fpasswd',
      '/app/%2e%2e%2fpackage.json',
      '/app/%2e%2e/secret.txt',
      '/app/../secret.txt',
      '/app/..%5csecret.txt',
      '/app/..\\secret.txt',
      '/app//etc/passwd',
      '/app/%2fetc%2fpasswd',
      '/app/app.js%00',
      '/app/app.js/..',
      '/app/./app.js',
      '/app/%61pp.js',
      '/app/.',
      '/app/..',
      `/app/${'../'.repeat(40)}etc/passwd`,
    ];
    for (const target of targets) {
      const outcome = await rawHttp(server.server.port, requestBytes({ method: 'GET', target, headers: [['Host', `127.0.0.1:${server.server.port}`]] }));
      const response = outcome.response;
      assert.ok(response, `${target}: no response`);
      assert.equal(response.status, 200, `${target}: ${response.statusLine}`);
      assert.ok([INDEX_HTML, APP_JS, HASHED_CSS].includes(response.text), `${target} served ${JSON.stringify(response.text.slice(0, 80))}`);
      assert.ok(!response.text.includes('root:') && !response.text.includes('not for the browser') && !response.text.includes('"name"'), target);
    }
  });

  it('keeps the Host guard on the app (DNS rebinding): 403 forbidden_host', async () => {
    const outcome = await rawHttp(server.server.port, requestBytes({ method: 'GET', target: '/app/', headers: [['Host', 'evil.example']] }));
    assert.equal(outcome.response?.status, 403);
    assert.equal(outcome.response.body.error.code, 'forbidden_host');
  });

  it('answers a write to an app path with 405 and Allow (the JSON envelope)', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const response = await httpCall(`${server.origin}/app/app.js`, method);
      assertError(response, 405, 'method_not_allowed', `${method} is not allowed on /app/app.js.`);
      assert.equal(response.headers.allow, 'GET, HEAD');
    }
    // `/` is no route but for GET: other methods are unknown there, as before.
    assertError(await httpCall(`${server.origin}/`, 'POST'), 404, 'not_found', 'No route POST /.');
  });

  it('when a built file disappeared after start, answers a JSON 404 saying to rebuild', async () => {
    const { scratch: other, uiDirectory: otherUi } = fixtureUi();
    const shortLived = await startTestServer({}, { uiDirectory: otherUi });
    try {
      unlinkSync(join(otherUi, 'app.js'));
      assertError(await get(shortLived.origin, '/app/app.js'), 404, 'not_found', "The web app's file app.js is missing: run npm run build, then restart the server.");
    } finally {
      await shortLived.dispose();
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('when the app is not built (no directory, or no index.html), /app/ answers a JSON 404 saying how to build it', async () => {
    const { scratch: other, uiDirectory: otherUi } = fixtureUi();
    unlinkSync(join(otherUi, 'index.html'));
    for (const directory of [join(other, 'absent'), otherUi]) {
      const unbuilt = await startTestServer({}, { uiDirectory: directory });
      try {
        assert.equal(unbuilt.server.uiBuilt, false);
        for (const path of ['/app/', '/app/app.js']) {
          const response = await get(unbuilt.origin, path);
          assertError(response, 404, 'not_found', 'The web app is not built: run npm run build, then restart the server.');
          assertPageHeaders(response, `${path} unbuilt`);
        }
        // Signing in still works (the cookie serves the API).
        assert.equal((await httpCall(unbuilt.server.loginLink(), 'GET')).status, 303);
      } finally {
        await unbuilt.dispose();
      }
    }
    rmSync(other, { recursive: true, force: true });
  });
});
