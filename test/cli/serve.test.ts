import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually';
import { httpCall } from '../helpers/http';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/process';
import { newDataDir } from '../helpers/server';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('sessiondock serve and token (real processes)', () => {
  let dataDir: string;
  const running: ServerProcess[] = [];

  beforeEach(() => {
    dataDir = newDataDir();
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => server.stop('SIGKILL')));
    rmSync(dataDir, { recursive: true, force: true });
  });

  const serve = async (args: string[] = [], env: NodeJS.ProcessEnv = {}) => {
    const server = await startServerProcess(['--port', '0', '--data-dir', dataDir, ...args], env);
    running.push(server);
    return server;
  };
  const token = async () => (await runCli(['token', '--data-dir', dataDir])).stdout.trim();

  it('prints where it listens, the data dir, the mode and where the token is', async () => {
    const server = await serve();
    assert.match(server.stdout(), /^SessionDock Local API listening on http:\/\/127\.0\.0\.1:\d+\/api\/v1/m);
    assert.ok(server.stdout().includes(`data dir: ${dataDir}`));
    assert.match(server.stdout(), /^mode: full-automation$/m);
    assert.ok(server.stdout().includes(`token: ${join(dataDir, 'token')}`));
    const health = await httpCall(`${server.baseUrl}/health`, 'GET', { headers: bearer(await token()) });
    assert.equal(health.status, 200);
    assert.equal(health.body.data.baseUrl, server.baseUrl);
  });

  it('prints the token without loading the server, the HTTP stack or LevelDB', async () => {
    const run = await runCli(['token', '--data-dir', dataDir], { NODE_DEBUG: 'module' });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^[A-Za-z0-9_-]{20,}\n$/);
    const loaded = run.stderr.match(/node_modules\/(koa|@koa\/router|classic-level|rxjs)\//g) ?? [];
    assert.deepEqual([...new Set(loaded)], []);
  });

  it('starts and validates with the validators the build compiled: no schema compiler is loaded', async () => {
    const server = await serve([], { NODE_DEBUG: 'module' });
    const refused = await httpCall(`${server.baseUrl}/sessions`, 'POST', { headers: bearer(await token()), json: { title: 7 } });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.details[0].field, '/title');
    const created = await httpCall(`${server.baseUrl}/sessions`, 'POST', { headers: bearer(await token()), json: { title: 'Compiled' } });
    assert.equal(created.status, 201);
    assert.match(server.stderr(), /node_modules\/ajv\/dist\/runtime\//, 'the compiled validators load their runtime helpers');
    assert.doesNotMatch(server.stderr(), /node_modules\/ajv\/dist\/(core|ajv|compile\/index)\.js/);
  });

  it('answers JSON without loading Node\'s fetch implementation (50 ms the first request would wait for)', () => {
    // A fresh process: the test runner may have loaded it already.
    const script = `
      const { startTestServer } = require(${JSON.stringify(require.resolve('../helpers/server'))});
      (async () => {
        const server = await startTestServer();
        const statuses = [];
        for (const [method, path, json] of [['GET', '/health'], ['POST', '/sessions', { title: 'x' }], ['GET', '/sessions/session_none'], ['GET', '/tags'], ['GET', '/events'], ['POST', '/sessions', { title: 7 }]]) {
          statuses.push((await server.api(method, path, json ? { json } : {})).status);
        }
        await server.dispose();
        console.log(JSON.stringify({ statuses, loaded: process.moduleLoadList.filter((name) => name.includes('undici')) }));
      })();`;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { statuses: [200, 201, 404, 200, 200, 400], loaded: [] });
  });

  it('listens on ::1 as well as 127.0.0.1 by default', async () => {
    const server = await serve();
    const port = new URL(server.baseUrl).port;
    const response = await httpCall(`http://[::1]:${port}/api/v1/health`, 'GET', { headers: bearer(await token()) });
    assert.equal(response.status, 200);
  });

  it('keeps every created session, identical, across a SIGTERM and a restart', async () => {
    const first = await serve();
    const headers = bearer(await token());
    const created = [];
    for (let batch = 0; batch < 10; batch += 1) {
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          httpCall(`${first.baseUrl}/sessions`, 'POST', { headers, json: { title: `Session ${batch}-${index}`, tags: ['restart'] } }),
        ),
      );
      for (const response of responses) {
        assert.equal(response.status, 201);
        created.push(response.body.data);
      }
    }
    const before = await httpCall(`${first.baseUrl}/sessions?limit=500`, 'GET', { headers });
    assert.equal(await first.stop('SIGTERM'), 0);
    assert.match(first.stdout(), /SIGTERM: finishing \d+ request\(s\) in flight and closing the log/);

    const second = await serve();
    const after = await httpCall(`${second.baseUrl}/sessions?limit=500`, 'GET', { headers });
    assert.equal(after.body.meta.total, 100);
    const byId = new Map(after.body.data.map((session: { id: string }) => [session.id, session]));
    for (const session of created) {
      assert.deepEqual(byId.get(session.id), { ...session, previewUrl: session.previewUrl.replace(first.origin, second.origin) });
    }
    assert.deepEqual(after.body.data.map((session: { id: string }) => session.id), before.body.data.map((session: { id: string }) => session.id));
  });

  it('exits 0 on SIGINT too', async () => {
    const server = await serve();
    assert.equal(await server.stop('SIGINT'), 0);
  });

  it('refuses a second server on the same data dir with a clear message', async () => {
    await serve();
    const second = await runCli(['serve', '--port', '0', '--data-dir', dataDir]);
    assert.equal(second.code, 1);
    assert.equal(second.stderr.trim().split('\n').length, 1);
    assert.match(second.stderr, /data directory .* is in use by another SessionDock server/);
    assert.doesNotMatch(second.stderr, /\bat .*\.js:\d+/);
  });

  it('rotates the token: the running server accepts only the new one', async () => {
    const server = await serve();
    const old = await token();
    const rotated = await runCli(['token', '--rotate', '--data-dir', dataDir]);
    assert.equal(rotated.code, 0);
    const fresh = rotated.stdout.trim();
    assert.notEqual(fresh, old);
    assert.equal(await token(), fresh);
    await eventually(() => httpCall(`${server.baseUrl}/health`, 'GET', { headers: bearer(fresh) }), (response) => response.status === 200, 'the new token accepted');
    assert.equal((await httpCall(`${server.baseUrl}/health`, 'GET', { headers: bearer(old) })).status, 401);
  });

  it('takes SESSIONDOCK_TOKEN over the token file', async () => {
    const envToken = 'an-operator-chosen-token-of-some-length';
    const server = await serve([], { SESSIONDOCK_TOKEN: envToken });
    assert.match(server.stdout(), /token: the SESSIONDOCK_TOKEN environment variable/);
    assert.equal((await httpCall(`${server.baseUrl}/health`, 'GET', { headers: bearer(envToken) })).status, 200);
    assert.equal((await httpCall(`${server.baseUrl}/health`, 'GET', { headers: bearer(await token()) })).status, 401);
    const printed = await runCli(['token', '--data-dir', dataDir], { SESSIONDOCK_TOKEN: envToken });
    assert.equal(printed.stdout.trim(), envToken);
    const rotate = await runCli(['token', '--rotate', '--data-dir', dataDir], { SESSIONDOCK_TOKEN: envToken });
    assert.equal(rotate.code, 1);
    assert.match(rotate.stderr, /SESSIONDOCK_TOKEN/);
  });

  it('starts read-only when told to by --mode', async () => {
    const server = await serve(['--mode', 'read-only']);
    assert.match(server.stdout(), /^mode: read-only$/m);
    const response = await httpCall(`${server.baseUrl}/sessions`, 'POST', { headers: bearer(await token()), json: { title: 'x' } });
    assert.equal(response.status, 403);
    assert.equal(response.body.error.code, 'read_only');
  });

  describe('configuration errors: one line naming the value, exit code 2', () => {
    const cases: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
      ['a port that is not a number', ['--port', 'abc'], {}, /^sessiondock: invalid configuration: port \(from command line\) must be integer$/],
      ['a port out of range', ['--port', '70000'], {}, /port \(from command line\) must be <= 65535/],
      ['an unknown mode from the environment', [], { SESSIONDOCK_MODE: 'turbo' }, /mode \(from environment\) must be one of disabled, read-only, full-automation$/],
      ['a non-loopback host without the opt-in', ['--host', '0.0.0.0'], {}, /host 0\.0\.0\.0 is not a loopback address; pass --dangerously-listen-on-network/],
      ['an unknown flag', ['--colour', 'red'], {}, /Unknown option '--colour'/],
    ];
    for (const [what, args, env, expected] of cases) {
      it(`refuses ${what}`, async () => {
        const result = await runCli(['serve', '--port', '0', '--data-dir', dataDir, ...args], env);
        assert.equal(result.code, 2);
        assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
        assert.match(result.stderr.trim(), expected);
      });
    }

    it('names config.json when the bad value comes from it', async () => {
      writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ minFreeDiskMb: -1 }));
      const result = await runCli(['serve', '--port', '0', '--data-dir', dataDir]);
      assert.equal(result.code, 2);
      assert.ok(result.stderr.includes(`minFreeDiskMb (from ${join(dataDir, 'config.json')}) must be >= 0`), result.stderr);
    });
  });

  it('exits 2 with the usage on an unknown command', async () => {
    const result = await runCli(['launch']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown command launch/);
    assert.match(result.stderr, /Usage:/);
  });
});
