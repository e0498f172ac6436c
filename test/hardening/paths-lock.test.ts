import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE, processStartOf } from '../../src/files/data-dir-lock';
import { readTokenFile } from '../../src/token';
import { assertHealthWithin, assertLogKeeps, assertMemoryUnder, idleHealthMs, lockedInodes, rssBytes, slowestHealthDuring, type HealthTarget } from '../helpers/hardening';
import { eventually } from '../helpers/eventually';
import { httpCall } from '../helpers/http';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/process';
import { newDataDir, startTestServer } from '../helpers/server';

/*
 * Finding 2: a request that makes the server open and close <data-dir>/log/LOCK drops LevelDB's
 * POSIX lock, and a second server then starts on the same directory and loses acknowledged writes.
 * The server must never open a file in its data directory for a request, and the one-server
 * guarantee must not rest on a lock a stray close can release.
 */

const IN_USE = /the data directory .* is in use by another SessionDock server; stop it or choose another --data-dir/;
const WRITES = 20;
const SERVER_RSS_MB = 400;

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function createSessions(target: HealthTarget, count: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const created = await httpCall(`${target.baseUrl}/sessions`, 'POST', { headers: bearer(target.token), json: { title: `${prefix} ${index}` } });
    assert.equal(created.status, 201, created.text);
    ids.push(created.body.data.id);
  }
  return ids;
}

/** Starts `serve` on the directory and expects it to refuse; a server that starts anyway is stopped and fails the test. */
async function assertSecondServerRefused(dataDir: string): Promise<void> {
  const second = await startServerProcess(['--port', '0', '--data-dir', dataDir]).then(
    (server) => server,
    (error: Error) => error,
  );
  if (!(second instanceof Error)) {
    await second.stop('SIGKILL');
    assert.fail('a second server started on a data directory a running server holds');
  }
  assert.match(second.message, /exited with 1 before it listened/);
  assert.match(second.message, IN_USE);
}

describe('hardening: the data directory lock (finding 2)', function () {
  this.timeout(90_000);
  const running: ServerProcess[] = [];
  const dirs: string[] = [];
  const dataDirFor = () => {
    const dir = newDataDir();
    dirs.push(dir);
    return dir;
  };

  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => server.stop('SIGKILL')));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses attach and import of <data-dir>/log/LOCK (also through a symlink and `..`) like any unreadable path; a second server still cannot start; every acknowledged create is kept', async () => {
    // Given a real server process and a session
    const dataDir = dataDirFor();
    const first = await startServerProcess(['--port', '0', '--data-dir', dataDir]);
    running.push(first);
    const target = { baseUrl: first.baseUrl, token: readTokenFile(join(dataDir, 'token')) };
    const idleMs = await idleHealthMs(target);
    const [sessionId] = await createSessions(target, 1, 'Attack target');
    const lockPath = join(dataDir, 'log', 'LOCK');
    const outside = newDataDir();
    dirs.push(outside);
    symlinkSync(lockPath, join(outside, 'bounce.wav'));
    symlinkSync(join(dataDir, 'log'), join(outside, 'Bounces'));
    const spellings = [lockPath, join(dataDir, 'log', '..', 'log', 'LOCK'), join(outside, 'bounce.wav'), join(outside, 'Bounces', 'LOCK'), join(dataDir, 'token')];

    // When the lock file is attached and imported under every spelling, and a missing file for comparison
    const attack = async () => {
      const answers = [];
      for (const path of [...spellings, join(outside, 'missing.wav')]) {
        answers.push(await httpCall(`${target.baseUrl}/sessions/${sessionId}/previews`, 'POST', { headers: bearer(target.token), json: { path } }));
      }
      const imported = await httpCall(`${target.baseUrl}/import`, 'POST', {
        headers: bearer(target.token),
        json: { items: [...spellings.map((path) => ({ projectPath: outside, previewAudioPath: path })), { projectPath: join(dataDir, 'log') }, { projectPath: dataDir }] },
      });
      assert.equal(imported.status, 202, imported.text);
      const status = await eventually(
        async () => (await httpCall(`${target.baseUrl}/import/${imported.body.data.importId}`, 'GET', { headers: bearer(target.token) })).body.data,
        (data) => data.done === true,
        'the import to finish',
        20_000,
      );
      return { answers, status };
    };
    const { result, slowestMs } = await slowestHealthDuring(target, attack());

    // Then each attach is the 400 a missing file gets, word for word
    const missing = result.answers.at(-1)!;
    assert.equal(missing.status, 400, missing.text);
    for (const [index, answer] of result.answers.entries()) assert.deepEqual(answer.body, missing.body, `${[...spellings, 'missing'][index]}: ${answer.text}`);
    // And every import item failed: the previews under every spelling, the log folder and the data dir as projects
    assert.deepEqual(
      result.status.items.map((item: { outcome: string }) => item.outcome),
      result.status.items.map(() => 'failed'),
    );
    assert.equal(new Set(result.status.items.slice(0, spellings.length).map((item: { reason: string }) => item.reason)).size, 1);

    // And a second server on the same directory is still refused
    await assertSecondServerRefused(dataDir);

    // And 20 acknowledged creates, /health within its bound, memory bounded
    const ids = await createSessions(target, WRITES, 'Acknowledged');
    assertHealthWithin(slowestMs, idleMs, { factor: 20, floorMs: 1000 });
    assertMemoryUnder(rssBytes(first.child.pid), SERVER_RSS_MB, 'server RSS after the attack');
    assert.equal((await httpCall(`${target.baseUrl}/health`, 'GET', { headers: bearer(target.token) })).status, 200);

    // And after a clean stop the log verifies with every acknowledged create in it
    assert.equal(await running.pop()!.stop('SIGTERM'), 0);
    await assertLogKeeps(dataDir, [sessionId, ...ids]);
  });

  it('holds the directory even after a stray close drops LevelDB lock: a second server and `verify` are refused, no write is lost', async () => {
    // Given a server in this process, which is where a stray close happens
    const dataDir = dataDirFor();
    const server = await startTestServer({}, { dataDir });
    try {
      const target = { baseUrl: server.baseUrl, token: server.token };
      const idleMs = await idleHealthMs(target);
      const lockInode = statSync(join(dataDir, 'log', 'LOCK')).ino;
      const before = lockedInodes();
      if (before) assert.ok(before.has(lockInode), 'LevelDB holds a POSIX lock on log/LOCK');

      // When a descriptor of log/LOCK is opened and closed in the server's process
      closeSync(openSync(join(dataDir, 'log', 'LOCK'), 'r'));
      const after = lockedInodes();
      if (after) assert.ok(!after.has(lockInode), 'the close released LevelDB lock (the attack took effect)');

      // Then a second server process and the log commands are still refused
      const { slowestMs } = await slowestHealthDuring(
        target,
        (async () => {
          await assertSecondServerRefused(dataDir);
          const verify = await runCli(['verify', '--data-dir', dataDir]);
          assert.equal(verify.code, 1, verify.stdout + verify.stderr);
          assert.match(verify.stderr, IN_USE);
        })(),
      );

      // And the server keeps every acknowledged write
      const ids = await createSessions(target, WRITES, 'After the stray close');
      assertHealthWithin(slowestMs, idleMs, { factor: 20, floorMs: 1000 });
      assertMemoryUnder(rssBytes(), 1024, 'test process RSS (the server runs in it)');
      await server.stop();
      await assertLogKeeps(dataDir, ids);
      assert.equal(existsSync(join(dataDir, LOCK_FILE)), false, 'a clean stop removes the lock file');
    } finally {
      await server.stop();
    }
  });

  it('takes over the lock of a holder that is gone, keeps that of a live one, and the CLI works once the server stopped', async () => {
    const dataDir = dataDirFor();
    const lockFile = join(dataDir, LOCK_FILE);
    // Given the lock file of a process that has exited
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const stale = { pid: Number(gone.stdout), hostname: hostname(), processStart: '1', command: 'sessiondock serve', nonce: 'stale', since: new Date(0).toISOString() };
    writeFileSync(lockFile, JSON.stringify(stale), { mode: 0o600 });

    // Then a server starts, takes it over, and writes
    const server = await startServerProcess(['--port', '0', '--data-dir', dataDir]);
    running.push(server);
    const target = { baseUrl: server.baseUrl, token: readTokenFile(join(dataDir, 'token')) };
    const idleMs = await idleHealthMs(target);
    assert.equal(JSON.parse(readFileSync(lockFile, 'utf8')).pid, server.child.pid);
    const ids = await createSessions(target, WRITES, 'After a stale lock');
    const { slowestMs } = await slowestHealthDuring(target, assertSecondServerRefused(dataDir));
    assertHealthWithin(slowestMs, idleMs, { factor: 20, floorMs: 1000 });
    assertMemoryUnder(rssBytes(server.child.pid), SERVER_RSS_MB, 'server RSS');
    assert.equal(await running.pop()!.stop('SIGTERM'), 0);
    await assertLogKeeps(dataDir, ids);
    assert.equal((await runCli(['verify', '--data-dir', dataDir])).code, 0);

    // And the lock file of a live process (this one) keeps a server out
    writeFileSync(lockFile, JSON.stringify({ ...stale, pid: process.pid, processStart: processStartOf(process.pid), nonce: 'live', since: new Date().toISOString() }), { mode: 0o600 });
    await assertSecondServerRefused(dataDir);
    const verify = await runCli(['verify', '--data-dir', dataDir]);
    assert.equal(verify.code, 1);
    assert.match(verify.stderr, IN_USE);
    assert.equal(JSON.parse(readFileSync(lockFile, 'utf8')).nonce, 'live', 'a refused process leaves the holder its lock');
  });
});
