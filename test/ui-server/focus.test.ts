import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertError } from '../helpers/assertions';
import { eventually } from '../helpers/eventually';
import { httpCall } from '../helpers/http';
import { startTestServer, type TestServer } from '../helpers/server';
import { openStream } from '../helpers/sse';
import { cookieOf, failingOpener, fixtureUi, recordingOpener } from './fixtures';

/*
 * Issue 19, focus (contract §8, changed): an agent asks SessionDock to bring a session forward.
 * With the app open in a tab, the tab gets the notice; with none, the server starts the app at
 * that session through the opener with a fresh one-time login link, and answers focused: true;
 * only a server that cannot launch anything answers 501, and a launch that fails 400.
 */

describe('web app: focus starts the app at the session when no app tab is connected (issue 19, contract §8)', () => {
  let scratch: string;
  let uiDirectory: string;
  const servers: TestServer[] = [];
  const start = async (opener: string) => {
    const server = await startTestServer({ opener }, { uiDirectory });
    servers.push(server);
    const created = await server.api('POST', '/sessions', { json: { title: 'Bring me forward' } });
    assert.equal(created.status, 201, created.text);
    return { server, id: created.body.data.id as string };
  };

  beforeEach(() => {
    ({ scratch, uiDirectory } = fixtureUi());
  });

  afterEach(async () => {
    for (const server of servers.splice(0)) await server.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('with no client, launches the opener with a one-time login link that lands on the session (200 focused)', async () => {
    const opener = recordingOpener(scratch);
    const { server, id } = await start(opener.path);
    const head = server.server.store.head().position;

    const response = await server.api('POST', `/sessions/${id}/focus`);

    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.body, { data: { id, opened: false, focused: true } });
    const [call] = await eventually(async () => opener.calls(), (calls) => calls.length === 1, 'the opener ran');
    assert.equal(call.length, 1, 'the link is the one argument');
    const link = call[0];
    assert.match(link, new RegExp(`^${server.origin}/app/login\\?code=[A-Za-z0-9_-]+$`));
    assert.equal(server.server.store.head().position, head, 'focus wrote to the log');

    const landing = await httpCall(link, 'GET');
    assert.equal(landing.status, 303, landing.text);
    assert.equal(landing.headers.location, `/app/sessions/${id}`);
    const cookie = cookieOf(landing);
    assert.equal((await server.api('GET', `/sessions/${id}`, { token: null, headers: { Cookie: cookie } })).status, 200);
    // The link was single-use like any other.
    assert.equal((await httpCall(link, 'GET')).status, 410);
  });

  it('with an app tab connected (a stream client), sends it the notice and launches nothing', async () => {
    const opener = recordingOpener(scratch);
    const { server, id } = await start(opener.path);
    const stream = await openStream(`${server.baseUrl}/events/stream`, { Authorization: `Bearer ${server.token}` });
    try {
      const response = await server.api('POST', `/sessions/${id}/focus`);

      assert.equal(response.status, 200, response.text);
      const [notice] = await stream.waitForMessages(1);
      assert.equal(notice.event, 'SessionFocusRequested');
      assert.deepEqual(opener.calls(), []);
    } finally {
      stream.close();
    }
  });

  it('with no opener to be found, answers 501 focus_unavailable', async () => {
    const { server, id } = await start(join(scratch, 'no-such-opener'));

    assertError(await server.api('POST', `/sessions/${id}/focus`), 501, 'focus_unavailable', 'No client is connected and no opener is available to start the web app.');
  });

  it('when the opener fails (exits 3, as xdg-open without a browser), answers 400 focus_failed "main window unavailable"', async () => {
    const { server, id } = await start(failingOpener(scratch));

    assertError(await server.api('POST', `/sessions/${id}/focus`), 400, 'focus_failed', 'main window unavailable');
    const warning = server.logs.find((line) => line.includes('the web app could not be started for focus'));
    assert.ok(warning, server.logs.join('\n'));
    assert.match(warning, /the opener exited with 3/);
    assert.ok(!warning.includes('code='), 'the login link was logged');
  });

  it('when the opener cannot even start (a script whose interpreter is missing), answers 400 focus_failed', async () => {
    const broken = join(scratch, 'broken-opener');
    writeFileSync(broken, '#!/no/such/interpreter\n');
    chmodSync(broken, 0o755);
    const { server, id } = await start(broken);

    assertError(await server.api('POST', `/sessions/${id}/focus`), 400, 'focus_failed', 'main window unavailable');
  });

  it('when the opener keeps running (a browser started in the foreground), answers 200 once the settle time is over', async () => {
    const pidFile = join(scratch, 'opener.pid');
    const lingering = join(scratch, 'lingering-opener');
    writeFileSync(lingering, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 30\n`);
    chmodSync(lingering, 0o755);
    const { server, id } = await start(lingering);
    try {
      const started = Date.now();
      const response = await server.api('POST', `/sessions/${id}/focus`);

      assert.equal(response.status, 200, response.text);
      assert.ok(Date.now() - started >= 1400, `answered after ${Date.now() - started} ms, before the opener could have failed`);
    } finally {
      await eventually(async () => existsSync(pidFile), Boolean, 'the opener wrote its pid');
      process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
    }
  });

  it('answers 503 overloaded, with Retry-After, to focus calls past the launches already waiting, and launches the others one by one', async () => {
    const pids = join(scratch, 'opener.pids');
    const lingering = join(scratch, 'lingering-opener-many');
    writeFileSync(lingering, `#!/bin/sh\necho $$ >> ${pids}\nexec sleep 30\n`);
    chmodSync(lingering, 0o755);
    const { server, id } = await start(lingering);
    try {
      const answers = await Promise.all(Array.from({ length: 5 }, () => server.api('POST', `/sessions/${id}/focus`)));
      assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 200, 200, 503, 503]);
      for (const refused of answers.filter((answer) => answer.status === 503)) {
        assertError(refused, 503, 'overloaded', 'Web-app launches are waiting: try again shortly.');
        assert.equal(refused.headers['retry-after'], '2');
      }
    } finally {
      await eventually(async () => (existsSync(pids) ? readFileSync(pids, 'utf8').trim().split('\n').length : 0), (count) => count === 3, 'three openers started');
      for (const pid of readFileSync(pids, 'utf8').trim().split('\n')) process.kill(Number(pid), 'SIGTERM');
    }
  });
});
