import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { mintLoginCode, LOGIN_CODE_TTL_MS } from '../../src/sign-in/login-codes';
import { tokenSigner } from '../../src/sign-in/signer';
import { mintUiCredential, UI_CREDENTIAL_LIFETIME_MS } from '../../src/sign-in/ui-credentials';
import { generateToken, writeTokenFile } from '../../src/token';
import { assertError } from '../helpers/assertions';
import { eventually } from '../helpers/eventually';
import { httpCall, type HttpResponse } from '../helpers/http';
import { newDataDir, startTestServer, type TestServer } from '../helpers/server';
import { assertPageHeaders, codeOf, cookieOf, fixtureUi, get, signIn } from './fixtures';

/*
 * Issue 19, sign-in (contract §11): a person opens the link `sessiondock ui` printed and lands in
 * the app signed in; the link works once and for two minutes; the cookie is HttpOnly and
 * SameSite=Strict, holds no token, survives a server restart and dies with a token rotation. The
 * fallback form takes the API token, from the app's own page only, a bounded number of times.
 */

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

describe('web app: sign-in with a one-time link, the UI cookie, and the token form (issue 19, contract §11)', () => {
  let scratch: string;
  let uiDirectory: string;
  let server: TestServer;
  const others: TestServer[] = [];

  const login = (code: string, origin = server.origin) => get(origin, `/app/login?code=${encodeURIComponent(code)}`);
  const sessionsWith = (cookie: string, target = server) => target.api('GET', '/sessions', { token: null, headers: { Cookie: cookie } });
  const postForm = (body: string, headers: Record<string, string> = { ...FORM, Origin: server.origin }) =>
    httpCall(`${server.origin}/app/login`, 'POST', { headers, raw: body });

  const assertRefusedPage = (response: HttpResponse, status: number, title: string) => {
    assert.equal(response.status, status, response.text);
    assert.match(String(response.headers['content-type']), /^text\/html; charset=utf-8$/);
    assert.equal(response.headers['set-cookie'], undefined, 'a refused code set a cookie');
    assert.ok(response.text.includes(`<h1>${title}</h1>`), response.text);
    assert.ok(response.text.includes('sessiondock ui'), 'the page says how to get a new link');
    assertPageHeaders(response, `refused code (${title})`);
  };

  beforeEach(async () => {
    ({ scratch, uiDirectory } = fixtureUi());
    server = await startTestServer({}, { uiDirectory });
  });

  afterEach(async () => {
    await server.dispose();
    for (const other of others.splice(0)) await other.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('a one-time login link', () => {
    it('signs the browser in with an HttpOnly, SameSite=Strict cookie and 303s to /app/ without the code', async () => {
      const link = server.server.loginLink();
      assert.match(link, new RegExp(`^${server.origin}/app/login\\?code=[A-Za-z0-9_-]+$`));

      const response = await httpCall(link, 'GET');

      assert.equal(response.status, 303, response.text);
      assert.equal(response.headers.location, '/app/');
      assert.equal(response.headers['cache-control'], 'no-store');
      assertPageHeaders(response, 'login redirect');
      const [setCookie] = response.headers['set-cookie']!;
      const [pair, ...attributes] = setCookie.split('; ');
      assert.match(pair, /^sessiondock_ui=[A-Za-z0-9_-]+$/);
      assert.deepEqual(attributes, ['Path=/', `Max-Age=${UI_CREDENTIAL_LIFETIME_MS / 1000}`, 'HttpOnly', 'SameSite=Strict']);
      assert.ok(!setCookie.includes(server.token), 'the cookie holds the API token');
      assert.ok(!setCookie.includes(codeOf(link)), 'the cookie holds the code');
      // The credential is what authenticates the app's calls.
      const sessions = await sessionsWith(pair);
      assert.equal(sessions.status, 200, sessions.text);
    });

    it('minted for a session (focus) lands on that session in the app', async () => {
      const created = await server.api('POST', '/sessions', { json: { title: 'Focus me' } });
      const { id } = created.body.data;

      const response = await httpCall(server.server.loginLink(id), 'GET');

      assert.equal(response.status, 303, response.text);
      assert.equal(response.headers.location, `/app/sessions/${id}`);
      cookieOf(response);
    });

    it('works once: the same link again is refused with a page, and no cookie', async () => {
      const link = server.server.loginLink();
      assert.equal((await httpCall(link, 'GET')).status, 303);

      assertRefusedPage(await httpCall(link, 'GET'), 410, 'This sign-in link has already been used');
    });

    it('is not spent by a HEAD (a link checker): the GET after it still signs in', async () => {
      const link = server.server.loginLink();

      const head = await httpCall(link, 'HEAD');

      assert.equal(head.status, 200);
      assert.equal(head.headers['set-cookie'], undefined);
      assert.equal((await httpCall(link, 'GET')).status, 303);
    });

    it('expires after two minutes: a code minted with a past time is refused', async () => {
      const expired = mintLoginCode(tokenSigner(server.token), Date.now() - LOGIN_CODE_TTL_MS - 1000);

      assertRefusedPage(await login(expired), 410, 'This sign-in link has expired');
    });

    it('refuses a tampered code, a code made with another token and a malformed one (400)', async () => {
      const code = codeOf(server.server.loginLink());
      // One bit of the expiry, of the nonce, of the MAC flipped; a character dropped; a foreign token.
      const bytes = Buffer.from(code, 'base64url');
      const flipped = (index: number) => {
        const copy = Buffer.from(bytes);
        copy[index] ^= 0x01;
        return copy.toString('base64url');
      };
      for (const tampered of [flipped(8), flipped(12), flipped(bytes.length - 1)]) {
        assertRefusedPage(await login(tampered), 400, 'This sign-in link is not valid');
      }
      assertRefusedPage(await login(mintLoginCode(tokenSigner(generateToken()), Date.now())), 400, 'This sign-in link is not valid');
      for (const malformed of [code.slice(0, -1), 'abc', `${code}%00`, '../../etc/passwd', 'x'.repeat(600), '']) {
        assertRefusedPage(await login(malformed), 400, 'This sign-in link is not valid');
      }
      const repeated = await get(server.origin, `/app/login?code=${code}&code=${code}`);
      assertRefusedPage(repeated, 400, 'This sign-in link is not valid');
      // None of those spent the real code.
      assert.equal((await login(code)).status, 303);
    });

    it('refuses a code that claims to live longer than two minutes', async () => {
      const fromTheFuture = mintLoginCode(tokenSigner(server.token), Date.now() + 60 * 60_000);

      assertRefusedPage(await login(fromTheFuture), 400, 'This sign-in link is not valid');
    });

    it('refuses a code made before the server started (a restart forgets which codes were used)', async () => {
      const dataDir = newDataDir();
      const first = await startTestServer({}, { dataDir, uiDirectory });
      const link = first.server.loginLink();
      assert.equal((await httpCall(link, 'GET')).status, 303);
      await first.stop();
      const restarted = await startTestServer({}, { dataDir, uiDirectory });
      others.push(restarted);

      assertRefusedPage(await login(codeOf(link), restarted.origin), 410, 'This sign-in link has expired');
    });

    it('when the redeemed-code memory is full, refuses further codes (503) rather than forgetting one', async () => {
      const small = await startTestServer({}, { uiDirectory, signIn: { maxRedeemedCodes: 2 } });
      others.push(small);
      assert.equal((await httpCall(small.server.loginLink(), 'GET')).status, 303);
      assert.equal((await httpCall(small.server.loginLink(), 'GET')).status, 303);

      const third = await httpCall(small.server.loginLink(), 'GET');

      assert.equal(third.headers['retry-after'], '60');
      assert.equal(third.status, 503);
      assert.ok(third.text.includes('<h1>Too many sign-ins</h1>'));
      assert.equal(third.headers['set-cookie'], undefined);
    });
  });

  describe('the UI cookie', () => {
    it('survives a server restart (nothing of it is stored)', async () => {
      const dataDir = newDataDir();
      const first = await startTestServer({}, { dataDir, uiDirectory });
      const cookie = await signIn(first);
      await first.stop();
      const restarted = await startTestServer({}, { dataDir, uiDirectory });
      others.push(restarted);

      assert.equal((await sessionsWith(cookie, restarted)).status, 200);
    });

    it('is revoked when the token rotates: 401 with the contract message', async () => {
      const cookie = await signIn(server);
      assert.equal((await sessionsWith(cookie)).status, 200);

      const rotated = generateToken();
      writeTokenFile(server.config.tokenFile, rotated);
      await eventually(() => server.api('GET', '/health', { token: rotated }).then((response) => response.status), (status) => status === 200, 'the server took the rotated token');

      assertError(await sessionsWith(cookie), 401, 'unauthorized', 'Provide Authorization: Bearer <token>.');
      // And a code minted before the rotation no longer signs anyone in.
      assertRefusedPage(await login(mintLoginCode(tokenSigner(server.token), Date.now())), 400, 'This sign-in link is not valid');
    });

    it('expires after its lifetime, and a tampered or foreign credential is refused (401)', async () => {
      const sign = tokenSigner(server.token);
      const old = mintUiCredential(sign, Date.now() - UI_CREDENTIAL_LIFETIME_MS - 1000);
      const foreign = mintUiCredential(tokenSigner(generateToken()), Date.now());
      const good = (await signIn(server)).split('=')[1];
      const tampered = `${good.slice(0, 5)}${good[5] === 'A' ? 'B' : 'A'}${good.slice(6)}`;
      for (const value of [old, foreign, tampered, '', 'x'.repeat(2000), server.token]) {
        assertError(await sessionsWith(`sessiondock_ui=${value}`), 401, 'unauthorized');
      }
      // Among other cookies, and after a stale one of the same name, the good one is found.
      assert.equal((await sessionsWith(`theme=dark; sessiondock_ui=${old}; sessiondock_ui=${good}`)).status, 200);
    });
  });

  describe('secrets', () => {
    it('logs no code, token or credential, and /health lists /app/login without its query', async () => {
      const link = server.server.loginLink();
      const code = codeOf(link);
      const credential = cookieOf(await httpCall(link, 'GET')).split('=')[1];
      await httpCall(link, 'GET');
      await login(`${code.slice(0, -2)}xx`);
      await postForm(`token=${encodeURIComponent(server.token)}x`);
      await server.api('POST', '/sessions', { token: null, headers: { Cookie: `sessiondock_ui=${credential}` }, json: { title: 'no csrf' } });
      await server.api('POST', '/sessions', { token: null, headers: { Cookie: `sessiondock_ui=${credential}`, Origin: server.origin, 'X-SessionDock-CSRF': '1' }, json: { title: 'logged?' } });

      const health = await server.api('GET', '/health');
      const paths = (health.body.data.recentRequests as Array<{ path: string }>).map((request) => request.path);
      assert.ok(paths.includes('/app/login'), paths.join(' '));
      const seen = `${server.logs.join('\n')}\n${health.text}`;
      for (const [name, secret] of [['code', code], ['token', server.token], ['credential', credential]]) {
        assert.ok(!seen.includes(secret), `the ${name} was logged or reported:\n${seen}`);
      }
      assert.doesNotMatch(seen, /code=/);
    });
  });

  describe('the token form (fallback)', () => {
    it('GET /app/login shows the form, with the page headers', async () => {
      const response = await get(server.origin, '/app/login');

      assert.equal(response.status, 200);
      assert.match(String(response.headers['content-type']), /^text\/html; charset=utf-8$/);
      assertPageHeaders(response, 'login form');
      assert.ok(response.text.includes('<form method="post" action="/app/login">'), response.text);
      assert.ok(response.text.includes('name="token"'));
      assert.doesNotMatch(response.text, /<script/i, 'an inline script on the login page');
    });

    it('the right token signs in: the same cookie, 303 to /app/', async () => {
      const response = await postForm(`token=${encodeURIComponent(server.token)}`);

      assert.equal(response.status, 303, response.text);
      assert.equal(response.headers.location, '/app/');
      assertPageHeaders(response, 'form sign-in');
      const cookie = cookieOf(response);
      assert.ok(!cookie.includes(server.token));
      assert.equal((await sessionsWith(cookie)).status, 200);
    });

    it('a wrong token re-shows the form with the error (401), no cookie', async () => {
      const response = await postForm('token=not-the-token');

      assert.equal(response.status, 401);
      assert.equal(response.headers['set-cookie'], undefined);
      assert.ok(response.text.includes('That is not the API token. Print it with: sessiondock token'), response.text);
      assert.ok(response.text.includes('<form method="post" action="/app/login">'));
      assertPageHeaders(response, 'wrong token');
    });

    it('takes a bounded number of wrong tokens a minute, then refuses even the right one (429)', async () => {
      const limited = await startTestServer({}, { uiDirectory, signIn: { maxTokenAttemptsPerMinute: 3 } });
      others.push(limited);
      const post = (token: string) =>
        httpCall(`${limited.origin}/app/login`, 'POST', { headers: { ...FORM, Origin: limited.origin }, raw: `token=${encodeURIComponent(token)}` });
      for (let attempt = 0; attempt < 3; attempt += 1) assert.equal((await post(`wrong-${attempt}`)).status, 401);

      const refused = await post(limited.token);

      assert.equal(refused.status, 429);
      assert.equal(refused.headers['retry-after'], '60');
      assert.equal(refused.headers['set-cookie'], undefined);
      assert.ok(refused.text.includes('Too many wrong tokens in the last minute: wait a minute, then try again.'));
    });

    it('refuses a post from another origin, even an allowed one, or without an Origin (403), no cookie', async () => {
      const allowed = 'http://127.0.0.1:3000';
      const permissive = await startTestServer({ allowedOrigins: [allowed] }, { uiDirectory });
      others.push(permissive);
      const post = (headers: Record<string, string>) =>
        httpCall(`${permissive.origin}/app/login`, 'POST', { headers: { ...FORM, ...headers }, raw: `token=${encodeURIComponent(permissive.token)}` });

      const fromAllowed = await post({ Origin: allowed });
      assert.equal(fromAllowed.status, 403);
      assert.ok(fromAllowed.text.includes(`This form was sent from ${allowed}, not from this server&#39;s own sign-in page.`), fromAllowed.text);
      assert.equal(fromAllowed.headers['set-cookie'], undefined);

      const withoutOrigin = await post({});
      assert.equal(withoutOrigin.status, 403);
      assert.ok(withoutOrigin.text.includes('This form was sent without an Origin: send it from the sign-in page.'));
      assert.equal(withoutOrigin.headers['set-cookie'], undefined);

      // A foreign origin that is not allowed is stopped by the Origin guard, as everywhere.
      const foreign = await post({ Origin: 'http://evil.example' });
      assertError(foreign, 403, 'forbidden_origin', 'This Origin is not allowed.');
      assert.equal(foreign.headers['set-cookie'], undefined);
    });

    it('refuses another body type (415) and an oversized body (413)', async () => {
      const json = await postForm(JSON.stringify({ token: server.token }), { 'Content-Type': 'application/json', Origin: server.origin });
      assert.equal(json.status, 415);
      assert.ok(json.text.includes('The sign-in form is sent as application/x-www-form-urlencoded.'));
      assert.equal(json.headers['set-cookie'], undefined);

      const huge = await postForm(`token=${'x'.repeat(5000)}`);
      assert.equal(huge.status, 413);
      assert.ok(huge.text.includes('The sign-in form holds a token: at most 4096 bytes.'));
    });

    it('answers 405 with Allow for another method on /app/login', async () => {
      const response = await httpCall(`${server.origin}/app/login`, 'DELETE');

      assertError(response, 405, 'method_not_allowed');
      assert.equal(response.headers.allow, 'GET, HEAD');
    });
  });
});
