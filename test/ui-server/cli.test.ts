import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually';
import { httpCall } from '../helpers/http';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/process';
import { newDataDir } from '../helpers/server';
import { cookieOf, failingOpener, recordingOpener } from './fixtures';

/*
 * Issue 19, `sessiondock ui` and the start-up banner (real processes): a person runs the server,
 * then `sessiondock ui` (or reads the banner) and lands in the app without pasting a token. The
 * CLI shares nothing with the server but the token. `sessiondock token --rotate` signs every
 * browser out. Nothing of a code, the token or a credential reaches the server's log.
 */

const LINK = /^http:\/\/127\.0\.0\.1:\d+\/app\/login\?code=[A-Za-z0-9_-]+$/;

describe('sessiondock ui and the banner login link (real processes, issue 19)', () => {
  let dataDir: string;
  let scratch: string;
  let server: ServerProcess;
  let port: string;

  const ui = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(['ui', '--data-dir', dataDir, '--port', port, ...args], env);
  const sessionsWith = (cookie: string) => httpCall(`${server.baseUrl}/sessions`, 'GET', { headers: { Cookie: cookie } });

  beforeEach(async () => {
    dataDir = newDataDir();
    scratch = mkdtempSync(join(tmpdir(), 'sessiondock-ui-cli-'));
    server = await startServerProcess(['--port', '0', '--data-dir', dataDir]);
    port = new URL(server.origin).port;
  });

  afterEach(async () => {
    await server.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('the start-up banner prints a login link that signs a browser in', async () => {
    await eventually(async () => server.stdout(), (stdout) => /^web app: /m.test(stdout), 'the banner line');
    const link = /^web app: (\S+) \(one-time sign-in link, 2 minutes; a new one: sessiondock ui\)$/m.exec(server.stdout())?.[1];
    assert.ok(link, server.stdout());
    assert.equal(new URL(link).origin, server.origin);

    const response = await httpCall(link, 'GET');

    assert.equal(response.status, 303, response.text);
    assert.equal((await sessionsWith(cookieOf(response))).status, 200);
  });

  it('`sessiondock ui --no-open` prints one link, which works once, and opens nothing', async () => {
    const opener = recordingOpener(scratch);
    const printed = await ui(['--no-open', '--opener', opener.path]);

    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(printed.stderr, '');
    const lines = printed.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0], LINK);
    assert.equal(new URL(lines[0]).origin, server.origin);
    const response = await httpCall(lines[0], 'GET');
    assert.equal(response.status, 303, response.text);
    assert.equal(response.headers.location, '/app/');
    assert.equal((await sessionsWith(cookieOf(response))).status, 200);
    assert.equal((await httpCall(lines[0], 'GET')).status, 410);
    assert.deepEqual(opener.calls(), []);
  });

  it('`sessiondock ui` opens the link with the configured opener (one argument, no shell)', async () => {
    const opener = recordingOpener(scratch);

    const run = await ui(['--opener', opener.path]);

    assert.equal(run.code, 0, run.stderr);
    const [call] = await eventually(async () => opener.calls(), (calls) => calls.length === 1, 'the opener ran');
    assert.deepEqual(call, [run.stdout.trim()]);
    assert.equal((await httpCall(call[0], 'GET')).status, 303);
  });

  it('reads the token from SESSIONDOCK_TOKEN like the server does, and the opener never sees it', async () => {
    const envToken = 'an-operator-chosen-token-of-some-length';
    const envDataDir = newDataDir();
    const seen = join(scratch, 'opener-env.json');
    const opener = join(scratch, 'env-opener');
    writeFileSync(opener, `#!/usr/bin/env node\nrequire('node:fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify(Object.keys(process.env).filter((name) => name.startsWith('SESSIONDOCK'))));\n`);
    chmodSync(opener, 0o755);
    const withEnv = await startServerProcess(['--port', '0', '--data-dir', envDataDir], { SESSIONDOCK_TOKEN: envToken });
    try {
      const printed = await runCli(['ui', '--opener', opener, '--port', new URL(withEnv.origin).port, '--data-dir', dataDir], { SESSIONDOCK_TOKEN: envToken });
      assert.equal(printed.code, 0, printed.stderr);
      assert.deepEqual(JSON.parse(readFileSync(seen, 'utf8')), [], 'SESSIONDOCK_* reached the opener');
      assert.equal((await httpCall(printed.stdout.trim(), 'GET')).status, 303);
    } finally {
      await withEnv.stop('SIGKILL');
      rmSync(envDataDir, { recursive: true, force: true });
    }
  });

  it('says so when the opener fails (exit 1), after printing the link', async () => {
    const run = await ui(['--opener', failingOpener(scratch)]);

    assert.equal(run.code, 1);
    assert.match(run.stdout.trim(), LINK);
    assert.equal(run.stderr, 'sessiondock: the opener exited with 3: open the link above in a browser (within two minutes)\n');
  });

  it('refuses to print a link when no server answers on the port (exit 1)', async () => {
    // A port just freed: nothing listens on it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const free = String((probe.address() as { port: number }).port);
    await new Promise((resolve) => probe.close(resolve));

    const run = await runCli(['ui', '--no-open', '--data-dir', dataDir, '--port', free]);

    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, `sessiondock: no server answers at http://127.0.0.1:${free}: start it with sessiondock serve (or pass its --port)\n`);
  });

  it('says the server must start first when there is no token yet (exit 1)', async () => {
    const empty = newDataDir();
    try {
      const run = await runCli(['ui', '--no-open', '--data-dir', empty, '--port', port]);
      assert.equal(run.code, 1);
      assert.equal(run.stderr, `sessiondock: there is no token yet at ${join(empty, 'token')}: start the server first (sessiondock serve)\n`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('`sessiondock token --rotate` signs every browser out (401), and a new link signs back in', async () => {
    const first = await ui(['--no-open']);
    const cookie = cookieOf(await httpCall(first.stdout.trim(), 'GET'));
    assert.equal((await sessionsWith(cookie)).status, 200);

    const rotated = await runCli(['token', '--rotate', '--data-dir', dataDir]);
    assert.equal(rotated.code, 0);
    const fresh = rotated.stdout.trim();
    await eventually(() => httpCall(`${server.baseUrl}/health`, 'GET', { headers: { Authorization: `Bearer ${fresh}` } }), (response) => response.status === 200, 'the new token accepted');

    assert.equal((await sessionsWith(cookie)).status, 401);
    const again = await ui(['--no-open']);
    assert.equal((await sessionsWith(cookieOf(await httpCall(again.stdout.trim(), 'GET')))).status, 200);
  });

  it("writes no code, token or credential to the server's log", async () => {
    const token = (await runCli(['token', '--data-dir', dataDir])).stdout.trim();
    const link = (await ui(['--no-open'])).stdout.trim();
    const code = new URL(link).searchParams.get('code')!;
    const cookie = cookieOf(await httpCall(link, 'GET'));
    await httpCall(link, 'GET');
    await httpCall(`${server.origin}/app/login?code=${code.slice(0, -2)}xx`, 'GET');
    await httpCall(`${server.origin}/app/login`, 'POST', { headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: server.origin }, raw: `token=${token}x` });
    await httpCall(`${server.baseUrl}/sessions`, 'POST', { headers: { Cookie: cookie }, json: { title: 'no csrf' } });
    await httpCall(`${server.baseUrl}/health`, 'GET', { headers: { Authorization: `Bearer ${token}` } });
    await server.stop('SIGTERM');

    const credential = cookie.split('=')[1];
    // The banner's own link is on stdout by design; every other line of both streams is checked.
    const output = `${server.stdout().replace(/^web app: .*$/m, '')}\n${server.stderr()}`;
    for (const [name, secret] of [['code', code], ['token', token], ['credential', credential]]) {
      assert.ok(!output.includes(secret), `the ${name} is in the server's output:\n${output}`);
    }
    assert.doesNotMatch(output, /code=/);
  });
});
