import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { logDirectory } from '../../src/server';
import { LevelBackend } from '../../src/store';
import { generateToken, writeTokenFile } from '../../src/token';
import type { HttpResponse } from '../helpers/http';
import { eventually } from '../helpers/eventually';
import { newDataDir, readAllEvents, startTestServer, type TestServer } from '../helpers/server';

const UNAUTHORIZED = { error: { status: 401, code: 'unauthorized', message: 'Provide Authorization: Bearer <token>.' } };

function assertUnauthorized(response: HttpResponse, what: string): void {
  assert.equal(response.status, 401, `${what}: expected 401, got ${response.status} ${response.text}`);
  assert.match(String(response.headers['content-type']), /^application\/json\b/, `${what}: content-type`);
  assert.deepEqual(response.body, UNAUTHORIZED, `${what}: body`);
}

/** Every 8-character window of the token: none of them may show up where the token must not. */
const windowsOf = (token: string, size = 8) => Array.from({ length: token.length - size + 1 }, (_, index) => token.slice(index, index + size));

const changeOneCharacter = (token: string) => `${token[0] === 'A' ? 'B' : 'A'}${token.slice(1)}`;

/** The bad Authorization headers of contract §2 (`undefined`: no header at all). */
const badAuthorizations: Array<{ name: string; header: (token: string) => string | undefined }> = [
  { name: 'no Authorization header', header: () => undefined },
  { name: 'a wrong token', header: () => `Bearer ${generateToken()}` },
  { name: '"Bearer" with nothing after it', header: () => 'Bearer ' },
  { name: '"Bearer" and two spaces before the token', header: (token) => `Bearer  ${token}` },
  { name: 'the Basic scheme', header: (token) => `Basic ${Buffer.from(`user:${token}`).toString('base64')}` },
  { name: 'the bare token without a scheme', header: (token) => token },
  { name: 'the token with one character changed', header: (token) => `Bearer ${changeOneCharacter(token)}` },
  { name: 'the token truncated by one character', header: (token) => `Bearer ${token.slice(0, -1)}` },
  { name: 'the token with a character appended', header: (token) => `Bearer ${token}x` },
];

const headersFor = (authorization: string | undefined): Record<string, string> =>
  authorization === undefined ? {} : { Authorization: authorization };

describe('API: authentication (contract §2)', () => {
  describe('every /api/v1 route needs the bearer token', () => {
    let server: TestServer;
    let sessionId: string;

    const routes: Array<{ name: string; send: (authorization: string | undefined) => Promise<HttpResponse> }> = [
      { name: 'GET /health', send: (auth) => server.api('GET', '/health', { token: null, headers: headersFor(auth) }) },
      { name: 'GET /sessions', send: (auth) => server.api('GET', '/sessions', { token: null, headers: headersFor(auth) }) },
      {
        name: 'POST /sessions',
        send: (auth) => server.api('POST', '/sessions', { token: null, headers: headersFor(auth), json: { title: 'Should not be created' } }),
      },
      { name: 'GET /sessions/<id>', send: (auth) => server.api('GET', `/sessions/${sessionId}`, { token: null, headers: headersFor(auth) }) },
      { name: 'an unknown /api/v1 path', send: (auth) => server.api('GET', '/no-such-route', { token: null, headers: headersFor(auth) }) },
    ];

    before(async () => {
      server = await startTestServer();
      const created = await server.api('POST', '/sessions', { json: { title: 'Existing session' } });
      assert.equal(created.status, 201, created.text);
      sessionId = created.body.data.id;
    });

    after(async () => {
      await server?.dispose();
    });

    for (const bad of badAuthorizations) {
      for (const route of routes) {
        it(`answers ${route.name} with ${bad.name} with 401 unauthorized`, async () => {
          // Given a running server, when a request carries a bad Authorization header
          const response = await route.send(bad.header(server.token));
          // Then it is refused with the exact 401 envelope
          assertUnauthorized(response, `${route.name} with ${bad.name}`);
        });
      }
    }

    it('writes nothing for a POST /sessions that was refused for its token', async () => {
      const before = server.server.store.head().position;
      for (const bad of badAuthorizations) {
        assertUnauthorized(await routes[2].send(bad.header(server.token)), bad.name);
      }
      assert.equal(server.server.store.head().position, before);
    });

    it('never echoes a presented token in the 401 response', async () => {
      const near = token401Candidates(server.token);
      for (const presented of near) {
        const response = await server.api('GET', '/sessions', { token: presented });
        assertUnauthorized(response, `token ${presented}`);
        assert.ok(!response.text.includes(presented), 'the presented token is in the body');
        assert.ok(!JSON.stringify(response.headers).includes(presented), 'the presented token is in a header');
      }
    });

    it('accepts the right token on every route', async () => {
      const health = await server.api('GET', '/health');
      assert.equal(health.status, 200, health.text);
      assert.equal(health.body.data.status, 'ok');

      const list = await server.api('GET', '/sessions');
      assert.equal(list.status, 200, list.text);
      assert.ok(list.body.data.some((session: { id: string }) => session.id === sessionId));

      const one = await server.api('GET', `/sessions/${sessionId}`);
      assert.equal(one.status, 200, one.text);
      assert.equal(one.body.data.id, sessionId);

      const created = await server.api('POST', '/sessions', { json: { title: 'Made with the right token' } });
      assert.equal(created.status, 201, created.text);

      // An unknown path with the right token gets past authentication to the router: 404, not 401.
      const unknown = await server.api('GET', '/no-such-route');
      assert.equal(unknown.status, 404, unknown.text);
      assert.equal(unknown.body.error.code, 'not_found');
    });

    it('accepts the scheme name in any case (RFC 7235: auth schemes are case-insensitive)', async () => {
      const response = await server.api('GET', '/health', { token: null, headers: { Authorization: `bearer ${server.token}` } });
      assert.equal(response.status, 200, response.text);
    });
  });

  describe('the token file', () => {
    let server: TestServer | undefined;

    afterEach(async () => {
      await server?.dispose();
      server = undefined;
    });

    it('is created on first start with owner-only permissions (0600) and a >= 32-byte base64url token', async () => {
      server = await startTestServer();
      assert.equal(server.server.tokenCreated, true);
      assert.equal(statSync(server.config.tokenFile).mode & 0o777, 0o600);
      assert.match(server.token, /^[A-Za-z0-9_-]{43,}$/);
    });
  });

  describe('the token stays secret', () => {
    let server: TestServer | undefined;

    afterEach(async () => {
      await server?.dispose();
      server = undefined;
    });

    it('appears in no log line and no stored event; events carry a short fingerprint as actor', async () => {
      // Given a server whose log refuses one write, so that a failure is logged too
      const dataDir = newDataDir();
      const backend = new OnceFailingBackend(logDirectory(dataDir));
      server = await startTestServer({}, { dataDir, backend });
      const { token } = server;

      // When clients create sessions and send failing requests of every kind
      for (const title of ['First', 'Second', 'Third']) {
        const created = await server.api('POST', '/sessions', { json: { title } });
        assert.equal(created.status, 201, created.text);
      }
      for (const presented of token401Candidates(token)) {
        assert.equal((await server.api('GET', '/sessions', { token: presented })).status, 401);
        assert.equal((await server.api('POST', '/sessions', { token: presented, json: { title: 'x' } })).status, 401);
      }
      assert.equal((await server.api('POST', '/sessions', { raw: '{', headers: { 'Content-Type': 'application/json' } })).status, 400);
      assert.equal((await server.api('GET', '/sessions/session_nope')).status, 404);
      assert.equal((await server.api('GET', '/sessions?limit=abc')).status, 400);
      // (last: a refused write turns the server read-only until its probe succeeds)
      backend.failNextWrite = true;
      const failed = await server.api('POST', '/sessions', { json: { title: 'Refused by the disk' } });
      assert.equal(failed.status, 500, failed.text);

      // Then no log line holds the token or any piece of it (there is at least the logged 500)
      assert.ok(server.logs.length > 0, 'expected the failed write to be logged');
      for (const line of server.logs) {
        for (const piece of windowsOf(token, 16)) assert.ok(!line.includes(piece), `a log line holds part of the token: ${line}`);
      }

      // And no stored event holds it, while each event's actor is a short fingerprint
      const events = await readAllEvents(server);
      assert.equal(events.length, 3);
      const actors = new Set<string>();
      for (const event of events) {
        const text = JSON.stringify(event);
        assert.ok(!text.includes(token), `event ${event.position} holds the token`);
        const { actor } = event.meta;
        assert.equal(typeof actor, 'string');
        assert.ok(actor.length > 0 && actor.length <= 32, `actor ${actor} is not a short fingerprint`);
        for (const piece of windowsOf(token)) assert.ok(!actor.includes(piece), `actor ${actor} holds part of the token`);
        actors.add(actor);
      }
      assert.equal(actors.size, 1, 'one token must give one fingerprint');

      // And the log's files on disk do not hold it either
      await server.stop();
      const logDir = logDirectory(server.dataDir);
      for (const name of readdirSync(logDir)) {
        const path = join(logDir, name);
        if (!statSync(path).isFile()) continue;
        assert.ok(!readFileSync(path).includes(token), `the token is stored in ${name}`);
      }
    });
  });

  describe('token rotation (no restart)', () => {
    let server: TestServer | undefined;

    afterEach(async () => {
      await server?.dispose();
      server = undefined;
    });

    it('refuses the old token and accepts the new one on the next request', async () => {
      // Given a running server and a client using its token
      server = await startTestServer();
      const oldToken = server.token;
      assert.equal((await server.api('GET', '/health')).status, 200);
      const before = await server.api('POST', '/sessions', { json: { title: 'Before rotation' } });
      assert.equal(before.status, 201, before.text);

      // When the token file is rotated
      const newToken = generateToken();
      writeTokenFile(server.config.tokenFile, newToken);

      // Then, once the server has seen the new file, the new token works and the old one is refused, with no restart
      const rotated = server;
      await eventually(() => rotated.api('GET', '/health', { token: newToken }), (response) => response.status === 200, 'the new token accepted');
      assertUnauthorized(await server.api('GET', '/health', { token: oldToken }), 'old token after rotation');
      assertUnauthorized(await server.api('POST', '/sessions', { token: oldToken, json: { title: 'x' } }), 'old token POST');
      const health = await server.api('GET', '/health', { token: newToken });
      assert.equal(health.status, 200, health.text);
      const after = await server.api('POST', '/sessions', { token: newToken, json: { title: 'After rotation' } });
      assert.equal(after.status, 201, after.text);
      assert.equal(statSync(server.config.tokenFile).mode & 0o777, 0o600);

      // And events written under each token carry different fingerprints
      const events = await readAllEvents(server);
      assert.equal(events.length, 2);
      assert.notEqual(events[0].meta.actor, events[1].meta.actor);
      for (const event of events) {
        assert.ok(!JSON.stringify(event).includes(oldToken));
        assert.ok(!JSON.stringify(event).includes(newToken));
      }
    });

    it('follows a second rotation too', async () => {
      server = await startTestServer();
      const original = server.token;
      const second = generateToken();
      const third = generateToken();

      const running = server;
      const accepts = (token: string) =>
        eventually(() => running.api('GET', '/sessions', { token }), (response) => response.status === 200, 'the rotated token accepted');

      writeTokenFile(server.config.tokenFile, second);
      await accepts(second);

      writeTokenFile(server.config.tokenFile, third);
      await accepts(third);
      assertUnauthorized(await server.api('GET', '/sessions', { token: second }), 'second token after the next rotation');
      assertUnauthorized(await server.api('GET', '/sessions', { token: original }), 'original token');
      assert.equal((await server.api('GET', '/sessions', { token: third })).status, 200);
    });
  });
});

/** Tokens that are almost the real one: each must be refused. */
function token401Candidates(token: string): string[] {
  return [changeOneCharacter(token), token.slice(0, -1), `${token}x`];
}

/** A LevelDB log that refuses the next write with EIO when told to, then works again. */
class OnceFailingBackend extends LevelBackend {
  failNextWrite = false;

  override async write(...args: Parameters<LevelBackend['write']>): Promise<void> {
    if (this.failNextWrite) {
      this.failNextWrite = false;
      throw Object.assign(new Error('i/o error'), { code: 'EIO' });
    }
    await super.write(...args);
  }
}
