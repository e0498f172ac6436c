import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateToken, MAX_TOKEN_FILE_BYTES, writeTokenFile } from '../../src/token';
import { eventually } from '../helpers/eventually';
import { assertHealthWithin, assertLogKeeps, assertMemoryUnder, idleHealthMs, rssBytes, slowestHealthDuring, type HealthTarget } from '../helpers/hardening';
import { httpCall } from '../helpers/http';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/process';
import { newDataDir, startTestServer } from '../helpers/server';

/*
 * Finding 15: a launched opener must not inherit the server's token or any SESSIONDOCK_* setting.
 * Finding 18: the token file and the data directory are checked before they are trusted: a
 * symlinked, shared, oversized or endless token "file" stops the start with one line naming the
 * fix (exit 2, as for bad configuration); a rotated one that fails keeps the last token; the data
 * directory is made owner-only.
 */

const SERVER_RSS_MB = 400;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function createSessions(target: HealthTarget, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const created = await httpCall(`${target.baseUrl}/sessions`, 'POST', { headers: bearer(target.token), json: { title: `Kept ${index}` } });
    assert.equal(created.status, 201, created.text);
    ids.push(created.body.data.id);
  }
  return ids;
}

describe('hardening: secrets in the environment, the token file and the data directory (findings 15, 18)', function () {
  this.timeout(60_000);
  const running: ServerProcess[] = [];
  let dataDir: string;
  let scratch: string;

  beforeEach(() => {
    dataDir = newDataDir();
    scratch = newDataDir();
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => server.stop('SIGKILL')));
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('launches the opener without SESSIONDOCK_TOKEN or any SESSIONDOCK_* variable, the rest of the environment intact', async () => {
    // Given a server whose token and opener come from the environment, and an opener that records its environment
    const token = generateToken();
    const envFile = join(scratch, 'opener-env.json');
    const openerPath = join(scratch, 'opener');
    writeFileSync(openerPath, `#!${process.execPath}\nrequire('node:fs').writeFileSync(${JSON.stringify(envFile)}, JSON.stringify(process.env));\n`, { mode: 0o755 });
    const server = await startServerProcess(['--port', '0', '--data-dir', dataDir], {
      SESSIONDOCK_TOKEN: token,
      SESSIONDOCK_OPENER: openerPath,
      SESSIONDOCK_MODE: 'full-automation',
      sessiondock_lowercase: 'also a setting',
      PATHS_TEST_MARKER: 'inherited',
    });
    running.push(server);
    const target = { baseUrl: server.baseUrl, token };
    const idleMs = await idleHealthMs(target);
    const project = join(scratch, 'Song');
    mkdirSync(project);
    const created = await httpCall(`${server.baseUrl}/sessions`, 'POST', { headers: bearer(token), json: { title: 'Song', projectPath: project } });
    assert.equal(created.status, 201, created.text);

    // When the session is opened
    const { result: opened, slowestMs } = await slowestHealthDuring(target, httpCall(`${server.baseUrl}/sessions/${created.body.data.id}/open`, 'POST', { headers: bearer(token) }));
    assert.equal(opened.status, 200, opened.text);
    await eventually(async () => existsSync(envFile) && readFileSync(envFile, 'utf8').length > 0, (written) => written, 'the opener to write its environment');

    // Then its environment holds no SESSIONDOCK_* name and not the token, and the rest is there
    const text = readFileSync(envFile, 'utf8');
    const env = JSON.parse(text) as Record<string, string>;
    assert.deepEqual(Object.keys(env).filter((name) => name.toUpperCase().startsWith('SESSIONDOCK_')), []);
    assert.ok(!text.includes(token), 'the token reached the opener');
    assert.equal(env.PATHS_TEST_MARKER, 'inherited');

    assertHealthWithin(slowestMs, idleMs, { factor: 20, floorMs: 1000 });
    assertMemoryUnder(rssBytes(server.child.pid), SERVER_RSS_MB, 'server RSS');
    assert.equal(await running.pop()!.stop('SIGTERM'), 0);
    await assertLogKeeps(dataDir, [created.body.data.id]);
  });

  describe('a token file that cannot be trusted stops the start: one line naming the fix, exit 2, promptly', () => {
    const cases: Array<[string, () => string, RegExp]> = [
      [
        'a symbolic link to a private file',
        () => {
          writeTokenFile(join(scratch, 'real-token'), generateToken());
          symlinkSync(join(scratch, 'real-token'), join(scratch, 'token'));
          return join(scratch, 'token');
        },
        /is a symbolic link; point --token-file at a regular file/,
      ],
      [
        'a file others can read (0644)',
        () => {
          writeFileSync(join(scratch, 'token'), `${generateToken()}\n`, { mode: 0o644 });
          chmodSync(join(scratch, 'token'), 0o644);
          return join(scratch, 'token');
        },
        /can be read or written by others \(mode 0644\); run: chmod 600 .*token$/,
      ],
      ['/dev/urandom', () => '/dev/urandom', /is not a regular file; point --token-file at a regular file/],
      [
        'a FIFO',
        () => {
          execFileSync('mkfifo', ['-m', '600', join(scratch, 'token')]);
          return join(scratch, 'token');
        },
        /is not a regular file/,
      ],
      [
        'an oversized private file',
        () => {
          writeFileSync(join(scratch, 'token'), 'x'.repeat(4 * 1024 * 1024), { mode: 0o600 });
          return join(scratch, 'token');
        },
        new RegExp(`is larger than ${MAX_TOKEN_FILE_BYTES} bytes.*run: sessiondock token --rotate$`),
      ],
      [
        'an empty private file',
        () => {
          writeFileSync(join(scratch, 'token'), '\n', { mode: 0o600 });
          return join(scratch, 'token');
        },
        /is empty; run: sessiondock token --rotate$/,
      ],
    ];
    if (process.getuid?.() === 0) {
      cases.push([
        "another user's file",
        () => {
          writeTokenFile(join(scratch, 'token'), generateToken());
          chownSync(join(scratch, 'token'), 65534, 65534);
          return join(scratch, 'token');
        },
        /belongs to another user \(uid 65534\); run: chown 0 .*token$/,
      ]);
    }
    for (const [what, make, expected] of cases) {
      it(`refuses ${what}`, async () => {
        const tokenFile = make();
        const started = Date.now();
        const result = await runCli(['serve', '--port', '0', '--data-dir', dataDir, '--token-file', tokenFile], {}, 10_000);
        assert.equal(result.code, 2, result.stdout + result.stderr);
        assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
        assert.match(result.stderr.trim(), expected);
        assert.ok(Date.now() - started < 10_000);
        // The token command reads it the same way
        const printed = await runCli(['token', '--data-dir', dataDir, '--token-file', tokenFile], {}, 10_000);
        assert.equal(printed.code, 2, printed.stdout + printed.stderr);
        assert.equal(printed.stdout, '', 'nothing of the file is printed');
      });
    }
  });

  it('keeps the last token when a rotated token file is oversized, a link or shared, and takes the next good one; writes are kept', async () => {
    // Given a server following its token file
    const server = await startTestServer({}, { dataDir });
    try {
      const target = { baseUrl: server.baseUrl, token: server.token };
      const idleMs = await idleHealthMs(target);
      const tokenFile = server.config.tokenFile;
      const health = (token: string) => httpCall(`${server.baseUrl}/health`, 'GET', { headers: bearer(token) });

      // When the file is replaced by bad ones, one after another
      const attack = (async () => {
        writeFileSync(`${tokenFile}.big`, 'y'.repeat(16 * 1024 * 1024), { mode: 0o600 });
        execFileSync('mv', [`${tokenFile}.big`, tokenFile]);
        await eventually(async () => server.logs.filter((line) => line.includes('rotated token file is refused')).length, (count) => count === 1, 'the oversized file refused');
        const other = join(scratch, 'other-token');
        writeTokenFile(other, generateToken());
        rmSync(tokenFile);
        symlinkSync(other, tokenFile);
        await eventually(async () => server.logs.filter((line) => line.includes('rotated token file is refused')).length, (count) => count === 2, 'the link refused');
        rmSync(tokenFile);
        writeFileSync(tokenFile, `${generateToken()}\n`, { mode: 0o600 });
        chmodSync(tokenFile, 0o644);
        await eventually(async () => server.logs.filter((line) => line.includes('rotated token file is refused')).length, (count) => count === 3, 'the shared file refused');
        return (await health(server.token)).status;
      })();
      const { result: oldTokenStatus, slowestMs } = await slowestHealthDuring(target, attack);

      // Then the last good token still works, and a good rotation is taken
      assert.equal(oldTokenStatus, 200);
      assert.ok(server.logs.some((line) => line.includes('symbolic link')));
      assert.ok(server.logs.some((line) => line.includes('chmod 600')));
      rmSync(tokenFile);
      const fresh = generateToken();
      writeTokenFile(tokenFile, fresh);
      await eventually(async () => (await health(fresh)).status, (status) => status === 200, 'the good rotation taken');
      const ids = await createSessions({ baseUrl: server.baseUrl, token: fresh }, 5);
      assertHealthWithin(slowestMs, idleMs, { factor: 20, floorMs: 1000 });
      assertMemoryUnder(rssBytes(), 1024, 'test process RSS (the server runs in it)');
      await server.stop();
      await assertLogKeeps(dataDir, ids);
    } finally {
      await server.stop();
    }
  });

  it('tightens a 0755 data directory to 0700 at start, and says so', async () => {
    chmodSync(dataDir, 0o755);
    const server = await startServerProcess(['--port', '0', '--data-dir', dataDir]);
    running.push(server);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.match(server.stderr(), /the data directory was open to other users: its mode is now 0700/);
    const target = { baseUrl: server.baseUrl, token: (await runCli(['token', '--data-dir', dataDir])).stdout.trim() };
    assert.equal(statSync(join(dataDir, 'token')).mode & 0o777, 0o600);
    const idleMs = await idleHealthMs(target);
    const { result: ids, slowestMs } = await slowestHealthDuring(target, createSessions(target, 5));
    assertHealthWithin(slowestMs, idleMs, { factor: 20, floorMs: 1000 });
    assertMemoryUnder(rssBytes(server.child.pid), SERVER_RSS_MB, 'server RSS');
    assert.equal(await running.pop()!.stop('SIGTERM'), 0);
    await assertLogKeeps(dataDir, ids);

    // And a fresh data directory is created owner-only
    const fresh = join(scratch, 'nested', 'data');
    const created = await startServerProcess(['--port', '0', '--data-dir', fresh]);
    running.push(created);
    assert.equal(statSync(fresh).mode & 0o777, 0o700);
  });
});
