import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { assertError } from '../helpers/assertions';
import { readAllEvents, startTestServer, type TestServer } from '../helpers/server';
import { openStream } from '../helpers/sse';
import { fixtureUi, signIn } from './fixtures';

/*
 * Issue 19, the cookie on /api/v1 (contract §11): the app, signed in, reads and follows the
 * catalogue with its cookie alone; a write made with the cookie needs the app's own Origin and the
 * X-SessionDock-CSRF header, so another page on the same machine (same site: a cookie goes with its
 * requests) cannot write; bearer clients are unchanged.
 */

const ALLOWED = 'http://127.0.0.1:3000';
const CSRF = { 'X-SessionDock-CSRF': '1' };
const missingOrigin = (origin: string) => `A write made with the web app's cookie needs the Origin header of this server (${origin}).`;
const MISSING_CSRF = "A write made with the web app's cookie needs the header X-SessionDock-CSRF: 1.";

describe("web app: the UI cookie on /api/v1, and what a write made with it needs (issue 19, contract §11)", () => {
  let scratch: string;
  let server: TestServer;
  let cookie: string;
  let sessionId: string;

  const head = () => server.server.store.head().position;
  const withCookie = (method: string, path: string, headers: Record<string, string> = {}, json?: unknown) =>
    server.api(method, path, { token: null, headers: { Cookie: cookie, ...headers }, json });

  before(async () => {
    let uiDirectory: string;
    ({ scratch, uiDirectory } = fixtureUi());
    server = await startTestServer({ allowedOrigins: [ALLOWED] }, { uiDirectory });
    cookie = await signIn(server);
    const created = await server.api('POST', '/sessions', { json: { title: 'Target' } });
    sessionId = created.body.data.id;
  });

  after(async () => {
    await server.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('reads the catalogue with the cookie alone, with or without the own Origin', async () => {
    const plain = await withCookie('GET', '/sessions');
    assert.equal(plain.status, 200, plain.text);
    assert.ok(plain.body.data.some((session: { id: string }) => session.id === sessionId));
    assert.equal((await withCookie('GET', `/sessions/${sessionId}`, { Origin: server.origin })).status, 200);
  });

  it('follows the live stream with the cookie (EventSource sends it same-origin)', async () => {
    const stream = await openStream(`${server.baseUrl}/events/stream?after=0`, { Cookie: cookie });
    try {
      assert.equal(stream.response.statusCode, 200);
      const [first] = await stream.waitForMessages(1);
      assert.equal(first.event, 'SessionCreated');
    } finally {
      stream.close();
    }
  });

  it('refuses a read with the cookie from another origin, even an allowed one (403), so only the app uses it', async () => {
    assertError(
      await withCookie('GET', '/sessions', { Origin: ALLOWED }),
      403,
      'forbidden_origin',
      `The web app's cookie is accepted only from this server's own origin (${server.origin}), not ${ALLOWED}.`,
    );
  });

  it('refuses a cookie write without the CSRF header (403 forbidden_origin), nothing written', async () => {
    const before = head();

    assertError(await withCookie('POST', '/sessions', { Origin: server.origin }, { title: 'Forged' }), 403, 'forbidden_origin', MISSING_CSRF);
    assertError(await withCookie('PATCH', `/sessions/${sessionId}`, { Origin: server.origin }, { title: 'Forged' }), 403, 'forbidden_origin', MISSING_CSRF);
    assertError(await withCookie('DELETE', `/sessions/${sessionId}`, { Origin: server.origin }), 403, 'forbidden_origin', MISSING_CSRF);
    assertError(await withCookie('POST', '/sessions', { Origin: server.origin, 'X-SessionDock-CSRF': 'yes' }, { title: 'Forged' }), 403, 'forbidden_origin', MISSING_CSRF);

    assert.equal(head(), before, 'a refused write reached the log');
  });

  it('refuses a cookie write without an Origin (403), saying what is missing, nothing written', async () => {
    const before = head();

    assertError(await withCookie('POST', '/sessions', CSRF, { title: 'Forged' }), 403, 'forbidden_origin', missingOrigin(server.origin));
    assertError(
      await withCookie('POST', '/sessions', {}, { title: 'Forged' }),
      403,
      'forbidden_origin',
      `A write made with the web app's cookie needs the Origin header of this server (${server.origin}) and the header X-SessionDock-CSRF: 1.`,
    );

    assert.equal(head(), before);
  });

  it('refuses a cookie write from a foreign Origin, allowed (past the Origin guard) or not, nothing written', async () => {
    const before = head();

    assertError(
      await withCookie('POST', '/sessions', { Origin: ALLOWED, ...CSRF }, { title: 'Forged' }),
      403,
      'forbidden_origin',
      `The web app's cookie is accepted only from this server's own origin (${server.origin}), not ${ALLOWED}.`,
    );
    assertError(await withCookie('POST', '/sessions', { Origin: 'http://evil.example', ...CSRF }, { title: 'Forged' }), 403, 'forbidden_origin', 'This Origin is not allowed.');

    assert.equal(head(), before);
  });

  it('writes with the own Origin and the CSRF header; the event says it came through the app', async () => {
    const before = head();

    const created = await withCookie('POST', '/sessions', { Origin: server.origin, ...CSRF }, { title: 'From the app' });

    assert.equal(created.status, 201, created.text);
    assert.equal(head(), before + 1);
    const events = await readAllEvents(server);
    const last = events[events.length - 1];
    assert.equal(last.type, 'SessionCreated');
    assert.match(last.meta.actor, /^token:[0-9a-f]{12}\+ui$/);
    assert.equal(last.meta.actor, `${events[0].meta.actor}+ui`, 'the actor is the token fingerprint marked +ui');
    // The other spelling of the own origin (localhost) is the app too.
    const port = server.server.port;
    const patched = await withCookie('PATCH', `/sessions/${created.body.data.id}`, { Origin: `http://localhost:${port}`, ...CSRF }, { status: 'review' });
    assert.equal(patched.status, 200, patched.text);
  });

  it('leaves bearer clients unchanged: a bearer write needs neither header; a wrong bearer is 401 even with a good cookie', async () => {
    const bearer = await server.api('POST', '/sessions', { json: { title: 'By a script' } });
    assert.equal(bearer.status, 201, bearer.text);
    const events = await readAllEvents(server);
    assert.match(events[events.length - 1].meta.actor, /^token:[0-9a-f]{12}$/);

    const before = head();
    assertError(
      await server.api('POST', '/sessions', { token: 'wrong-token-wrong-token', headers: { Cookie: cookie, Origin: server.origin, ...CSRF }, json: { title: 'Forged' } }),
      401,
      'unauthorized',
      'Provide Authorization: Bearer <token>.',
    );
    assert.equal(head(), before);
  });

  it('answers 401 to no credential at all, and to a bad cookie', async () => {
    assertError(await server.api('GET', '/sessions', { token: null }), 401, 'unauthorized');
    assertError(await server.api('GET', '/sessions', { token: null, headers: { Cookie: 'sessiondock_ui=forged' } }), 401, 'unauthorized');
  });
});
