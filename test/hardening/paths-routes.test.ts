import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { basename, join } from 'node:path';
import { UNUSABLE_PREVIEW, UNUSABLE_PROJECT } from '../../src/import/plan';
import { eventually } from '../helpers/eventually';
import { assertHealthWithin, assertLogKeeps, assertMemoryUnder, idleHealthMs, lockedInodes, rssBytes, slowestHealthDuring } from '../helpers/hardening';
import type { HttpResponse } from '../helpers/http';
import { tempProjects, type ProjectTree } from '../helpers/projects';
import { startTestServer, type TestServer } from '../helpers/server';

/*
 * Findings 13 and 14: paths the server opens or launches. Only the running platform's absolute
 * form is used (Windows-style `C:\x` on POSIX is text, never a file); special files, /proc, /sys,
 * /dev, system directories and the data directory are refused after symlinks are resolved; and
 * every refusal reads the same per route, so a client cannot probe the disk with them.
 */

type Json = Record<string, any>;

const TEST_RSS_MB = 1024;
const OPEN_FAILED = { error: { status: 400, code: 'open_failed', message: 'Session project path is unavailable.' } };

/** An opener that appends its arguments, one JSON line per run, to calls.ndjson beside it. */
function recordingOpener(directory: string): { path: string; calls(): string[][] } {
  const path = join(directory, 'opener');
  const log = join(directory, 'calls.ndjson');
  writeFileSync(path, `#!/usr/bin/env node\nrequire('node:fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`);
  chmodSync(path, 0o755);
  return { path, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as string[]) : []) };
}

describe('hardening: paths the server opens or launches (findings 13, 14)', function () {
  this.timeout(60_000);
  let tree: ProjectTree;
  let server: TestServer;
  let opener: ReturnType<typeof recordingOpener>;
  let socketServer: Server;
  let idleMs: number;
  const acknowledged: string[] = [];

  const target = () => ({ baseUrl: server.baseUrl, token: server.token });

  async function createSession(body: Json): Promise<string> {
    const response = await server.api('POST', '/sessions', { json: body });
    assert.equal(response.status, 201, response.text);
    acknowledged.push(response.body.data.id);
    return response.body.data.id;
  }

  /** Paths no route may use, by what they are: each is refused with its route's one answer. */
  function unusable(): Array<[string, string]> {
    const fifo = tree.path('pipe.wav');
    execFileSync('mkfifo', [fifo]);
    symlinkSync(join(server.dataDir, 'log', 'LOCK'), tree.path('lock.wav'));
    symlinkSync(server.dataDir, tree.path('Data Link'));
    return [
      ['a missing file', tree.path('missing.wav')],
      ['a FIFO', fifo],
      ['a socket', tree.path('socket.wav')],
      ['/proc/self/environ', '/proc/self/environ'],
      ['/dev/zero', '/dev/zero'],
      ['/etc/shadow', '/etc/shadow'],
      ['a symlink to the data dir lock', tree.path('lock.wav')],
      ['a symlink to the data dir', tree.path('Data Link')],
      ['the data dir token through ..', `${tree.root}/../${basename(server.dataDir)}/token`],
      ['a Windows drive path', 'C:\\evil.wav'],
      ['a Windows drive path with slashes and ..', 'C:/../evil.wav'],
    ];
  }

  beforeEach(async () => {
    tree = tempProjects('sessiondock-paths-');
    opener = recordingOpener(tree.folder('tools'));
    server = await startTestServer({ opener: opener.path });
    socketServer = createServer();
    await new Promise<void>((resolve) => socketServer.listen(tree.path('socket.wav'), resolve));
    acknowledged.length = 0;
    idleMs = await idleHealthMs(target());
  });

  afterEach(async () => {
    await new Promise((resolve) => socketServer.close(resolve));
    await server.dispose();
    tree.cleanup();
  });

  /** What every test asserts after its attack: health within its bound, memory bounded, the log whole. */
  async function assertServerKept(slowestMs: number): Promise<void> {
    assertHealthWithin(slowestMs, idleMs, { factor: 20, floorMs: 1000 });
    assertMemoryUnder(rssBytes(), TEST_RSS_MB, 'test process RSS (the server runs in it)');
    assert.equal((await server.api('GET', '/health')).status, 200);
    await server.stop();
    await assertLogKeeps(server.dataDir, acknowledged);
  }

  const importDone = async (items: Json[]): Promise<Json> => {
    const response = await server.api('POST', '/import', { json: { items } });
    assert.equal(response.status, 202, response.text);
    return eventually(async () => (await server.api('GET', `/import/${response.body.data.importId}`)).body.data, (data) => data.done === true, 'the import to finish', 20_000);
  };

  it('attach: every unusable path, a text file and a directory get the same 400 invalid_request; the reason is only in the log', async () => {
    const sessionId = await createSession({ title: 'Attach target' });
    const cases: Array<[string, string]> = [...unusable(), ['a directory', tree.folder('Folder.wav')], ['a text file', tree.file('notes.wav', 'not audio\n'.repeat(50))]];

    const { result: answers, slowestMs } = await slowestHealthDuring(
      target(),
      (async () => {
        const answers: Array<[string, HttpResponse]> = [];
        for (const [what, path] of cases) answers.push([what, await server.api('POST', `/sessions/${sessionId}/previews`, { json: { path } })]);
        return answers;
      })(),
    );

    const expected = {
      error: {
        status: 400,
        code: 'invalid_request',
        message: 'path must be an absolute path to a readable audio file.',
        details: [{ field: '/path', message: 'must be an absolute path to a readable audio file' }],
      },
    };
    for (const [what, response] of answers) assert.deepEqual(response.body, expected, `${what}: ${response.text}`);
    const refusals = server.logs.map((line) => JSON.parse(line)).filter((line) => line.message === 'preview path refused');
    assert.equal(refusals.length, cases.length);
    assert.ok(refusals.some((line) => /data directory/.test(line.reason)), 'the log keeps why the data dir path was refused');
    assert.ok(refusals.some((line) => /not an absolute path on/.test(line.reason)), 'the log keeps why the Windows path was refused');
    assert.deepEqual((await server.api('GET', `/sessions/${sessionId}/preview`)).body.data.previews, []);
    await assertServerKept(slowestMs);
  });

  it('import: unusable projectPaths (also /etc/shadow, /root, /) fail with one reason, unusable previewAudioPaths with another; real folders and files are imported', async () => {
    const cases = [...unusable(), ['/root', '/root'], ['/', '/']] as Array<[string, string]>;
    const folder = tree.folder('Song A');
    const file = tree.file('Song B.als', 'als');
    const preview = tree.wav('Song A/Bounces/mix.wav');

    const { result, slowestMs } = await slowestHealthDuring(
      target(),
      (async () => ({
        projects: await importDone([...cases.map(([, projectPath]) => ({ projectPath })), { projectPath: folder, previewAudioPath: preview }, { projectPath: file }]),
        previews: await importDone(cases.map(([, previewAudioPath], index) => ({ projectPath: tree.folder(`Project ${index}`), previewAudioPath }))),
      }))(),
    );

    const projectItems = result.projects.items as Json[];
    for (const [index, [what]] of cases.entries()) {
      assert.deepEqual([projectItems[index].outcome, projectItems[index].reason], ['failed', UNUSABLE_PROJECT], `projectPath ${what}`);
    }
    const controls = projectItems.slice(cases.length);
    assert.deepEqual(controls.map((item) => item.outcome), ['created', 'created'], JSON.stringify(controls));
    acknowledged.push(...controls.map((item) => item.sessionId));
    for (const [index, [what]] of cases.entries()) {
      const item = result.previews.items[index];
      assert.deepEqual([item.outcome, item.reason], ['failed', UNUSABLE_PREVIEW], `previewAudioPath ${what}`);
    }
    const logged = server.logs.map((line) => JSON.parse(line)).filter((line) => line.message === 'import item failed');
    assert.equal(logged.length, cases.length * 2);
    assert.ok(logged.some((line) => /system directory \/etc/.test(line.reason)), 'the log says why /etc/shadow was refused');
    await assertServerKept(slowestMs);
  });

  it('open: a stored path that is unusable (a Windows-style path on POSIX too) is 400 open_failed and the opener never runs; a real folder is launched by its real path', async () => {
    const cases = [...unusable(), ['/root', '/root']] as Array<[string, string]>;
    const sessions: Array<[string, string]> = [];
    for (const [what, projectPath] of cases) sessions.push([what, await createSession({ title: what, projectPath })]);
    const real = await createSession({ title: 'Real', projectPath: `${tree.folder('Real Song')}/../Real Song` });

    const { result: answers, slowestMs } = await slowestHealthDuring(
      target(),
      (async () => {
        const answers: Array<[string, HttpResponse]> = [];
        for (const [what, id] of sessions) answers.push([what, await server.api('POST', `/sessions/${id}/open`)]);
        return answers;
      })(),
    );

    for (const [what, response] of answers) assert.deepEqual(response.body, OPEN_FAILED, `${what}: ${response.text}`);
    assert.deepEqual(opener.calls(), [], 'the opener ran for an unusable path');
    const opened = await server.api('POST', `/sessions/${real}/open`);
    assert.equal(opened.status, 200, opened.text);
    await eventually(async () => opener.calls(), (calls) => calls.length === 1, 'the opener to run');
    assert.deepEqual(opener.calls(), [[realpathSync(tree.path('Real Song'))]]);
    assert.equal(server.logs.map((line) => JSON.parse(line)).filter((line) => line.message === 'project path refused').length, cases.length);
    await assertServerKept(slowestMs);
  });

  it('keeps serving a registered preview, but refuses it once its path is swapped for a link into the data dir', async () => {
    const sessionId = await createSession({ title: 'Swapped' });
    const wav = tree.wav('Bounces/mix.wav');
    const attached = await server.api('POST', `/sessions/${sessionId}/previews`, { json: { path: wav } });
    assert.equal(attached.status, 201, attached.text);
    await eventually(async () => (await server.api('GET', `/sessions/${sessionId}/preview`)).body.data.previewStatus, (status) => status !== 'pending', 'the analysis');
    assert.equal((await server.api('GET', `/sessions/${sessionId}/preview/audio`)).status, 200);

    mkdirSync(tree.path('moved'));
    execFileSync('mv', [wav, tree.path('moved/mix.wav')]);
    symlinkSync(join(server.dataDir, 'log', 'LOCK'), wav);
    const { result: refused, slowestMs } = await slowestHealthDuring(target(), server.api('GET', `/sessions/${sessionId}/preview/audio`));

    assert.equal(refused.status, 404, refused.text);
    assert.equal(refused.body.error.code, 'not_found');
    // A new resolution is analysed on a worker thread, which shares the process's locks: it must refuse the link too.
    const lockInode = statSync(join(server.dataDir, 'log', 'LOCK')).ino;
    const analysed = await server.api('GET', `/sessions/${sessionId}/waveform?points=777`);
    assert.notEqual(analysed.status, 200, analysed.text);
    const locked = lockedInodes();
    if (locked) assert.ok(locked.has(lockInode), 'the log lock is still held after the analysis was refused');
    await assertServerKept(slowestMs);
  });
});
