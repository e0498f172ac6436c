import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { createReadModels } from '../../projections/read-models';
import { ProjectionRunner } from '../../projections/runner';
import { SnapshotFiles } from '../../projections/snapshots';
import { logDirectory, snapshotDirectory } from '../../src/server';
import { EventLog, LevelBackend } from '../../src/store';
import { sine, tempAudioDir, writeWav } from '../helpers/audio';
import { eventually } from '../helpers/eventually';
import { newDataDir, startTestServer, type TestServer } from '../helpers/server';

const titles = (server: TestServer) => server.api('GET', '/sessions?limit=500&sort=title').then((response) => response.body.data.map((session: { title: string }) => session.title));

async function createSessions(server: TestServer, count: number, prefix = 'Song'): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    const response = await server.api('POST', '/sessions', { json: { title: `${prefix} ${String(index).padStart(3, '0')}`, tags: [`t${index % 3}`] } });
    assert.equal(response.status, 201);
  }
}

/** Appends straight to a stopped server's log: what a crash after those writes leaves behind. */
async function appendWhileStopped(dataDir: string, count: number): Promise<void> {
  const store = await EventLog.open(new LevelBackend(logDirectory(dataDir)));
  for (let index = 0; index < count; index += 1) {
    const data = { title: `Tail ${index}`, kind: 'Other', status: 'draft', accent: 'default', tags: [], notes: '', client: null, projectPath: null };
    await store.append(`session_01TA000000000000000000000${index}`.slice(0, 34), 0, [{ type: 'SessionCreated', data }], { at: new Date().toISOString(), requestId: 'tail', actor: 'test' });
  }
  await store.close();
}

/** The same count for every read model. */
const eachProjection = (count: number) => Object.fromEntries(createReadModels().all.map((projection) => [projection.name, count]));

describe('read-model snapshots and rebuild', () => {
  let dataDir: string;
  const servers: TestServer[] = [];
  const start = async () => {
    const server = await startTestServer({}, { dataDir });
    servers.push(server);
    return server;
  };

  beforeEach(() => {
    dataDir = newDataDir();
  });

  afterEach(async () => {
    for (const server of servers.splice(0)) await server.dispose();
  });

  it('saves the read models at shutdown and replays nothing at the next start', async () => {
    const first = await start();
    await createSessions(first, 20);
    const before = await titles(first);
    await first.stop();

    const second = await start();
    assert.deepEqual(second.server.projections.appliedSinceStart(), eachProjection(0));
    assert.deepEqual(await titles(second), before);
  });

  it('replays only the tail written after the snapshot', async () => {
    const first = await start();
    await createSessions(first, 12);
    await first.stop();
    await appendWhileStopped(dataDir, 5);

    const second = await start();
    assert.deepEqual(second.server.projections.appliedSinceStart(), eachProjection(5));
    const listed = await titles(second);
    assert.equal(listed.length, 17);
    assert.ok(listed.includes('Tail 4'));
  });

  it('saves soon after a start-up that replayed at least snapshotEveryEvents events, with no write', async () => {
    const first = await start();
    await createSessions(first, 6);
    await first.stop();
    await appendWhileStopped(dataDir, 8);

    const second = await startTestServer({ snapshotEveryEvents: 5 }, { dataDir });
    servers.push(second);
    const files = new SnapshotFiles(snapshotDirectory(dataDir));
    const deadline = Date.now() + 10_000;
    while (files.read('sessions')?.position !== 14) {
      assert.ok(Date.now() < deadline, `the snapshot is still at ${files.read('sessions')?.position}`);
      await new Promise((wake) => setImmediate(wake));
    }
    assert.equal(second.server.store.head().position, 14);
  });

  it('serves sessions a snapshot restored before parsing them, and then analyses the previews a stop left pending', async () => {
    const audio = tempAudioDir();
    try {
      const first = await start();
      await createSessions(first, 30);
      const created = await first.api('POST', '/sessions', { json: { title: 'With a pending preview' } });
      const sessionId: string = created.body.data.id;
      // Attached behind the server's back: no analysis starts, as if the server stopped mid-analysis.
      const path = writeWav(audio.file('pending.wav'), sine({ durationS: 0.2 }));
      const meta = { at: new Date().toISOString(), requestId: 'test', actor: 'test' };
      await first.server.store.append(sessionId, 1, [{ type: 'PreviewAttached', data: { variantId: 'preview_pending', name: 'pending', path, mime: 'audio/wav' } }], meta);
      const pending = await first.api('GET', `/sessions/${sessionId}/preview`);
      assert.equal(pending.body.data.previewStatus, 'pending');
      await first.stop();

      const second = await start();
      assert.deepEqual(second.server.projections.appliedSinceStart(), eachProjection(0));
      const one = await second.api('GET', `/sessions/${sessionId}`);
      assert.equal(one.body.data.title, 'With a pending preview');
      const analysed = await eventually(
        () => second.api('GET', `/sessions/${sessionId}/preview`),
        (response) => response.body.data.previewStatus === 'ready',
        'the pending preview analysed after the restart',
      );
      assert.deepEqual(analysed.body.data.previews.map((variant: { id: string; status: string }) => [variant.id, variant.status]), [['preview_pending', 'ready']]);
      assert.equal((await titles(second)).length, 31);
    } finally {
      audio.cleanup();
    }
  });

  it('ignores a snapshot written by another version of the fold and rebuilds from the log', async () => {
    const first = await start();
    await createSessions(first, 8);
    const before = await titles(first);
    await first.stop();
    const files = new SnapshotFiles(snapshotDirectory(dataDir));
    const snapshot = files.read('sessions')!;
    await files.write({ ...snapshot, version: snapshot.version + 1, data: [] });

    const second = await start();
    assert.equal(second.server.projections.appliedSinceStart().sessions, 8);
    assert.deepEqual(await titles(second), before);
  });

  it('ignores a truncated snapshot file and rebuilds from the log', async () => {
    const first = await start();
    await createSessions(first, 6);
    const before = await titles(first);
    await first.stop();
    const file = new SnapshotFiles(snapshotDirectory(dataDir)).path('sessions');
    const text = readFileSync(file, 'utf8');
    // Cut inside the last item: the header still promises six.
    truncateSync(file, Buffer.byteLength(text) - 10);

    const second = await start();
    assert.equal(second.server.projections.appliedSinceStart().sessions, 6);
    assert.deepEqual(await titles(second), before);
  });

  it('ignores a snapshot file missing whole items and rebuilds from the log', async () => {
    const first = await start();
    await createSessions(first, 6);
    await first.stop();
    const file = new SnapshotFiles(snapshotDirectory(dataDir)).path('sessions');
    const lines = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, [...lines.slice(0, 4), ''].join('\n'));

    const second = await start();
    assert.equal(second.server.projections.appliedSinceStart().sessions, 6);
    assert.equal((await titles(second)).length, 6);
  });

  it('replaces a snapshot in the earlier one-document format: ignored, rebuilt, then removed', async () => {
    const first = await start();
    await createSessions(first, 3);
    await first.stop();
    const files = new SnapshotFiles(snapshotDirectory(dataDir));
    const legacy = files.path('sessions').replace(/\.ndjson$/, '.json');
    writeFileSync(legacy, JSON.stringify({ ...files.read('sessions')!, data: [] }));
    truncateSync(files.path('sessions'), 0);

    const second = await start();
    assert.equal(second.server.projections.appliedSinceStart().sessions, 3);
    await second.stop();
    assert.equal(existsSync(legacy), false);
    assert.equal(files.read('sessions')!.data.length, 3);
  });

  it('removes at start the snapshot files of models it no longer keeps and of saves cut short, and keeps its own', async () => {
    const first = await start();
    await createSessions(first, 3);
    await first.stop();
    const files = new SnapshotFiles(snapshotDirectory(dataDir));
    const leftOver = [files.path('project-paths'), `${files.path('sessions')}.4242.tmp`];
    for (const path of leftOver) writeFileSync(path, '{}\n');
    const unrelated = join(snapshotDirectory(dataDir), 'notes.txt');
    writeFileSync(unrelated, 'not ours');

    const second = await start();

    assert.deepEqual(leftOver.filter((path) => existsSync(path)), []);
    assert.equal(existsSync(unrelated), true);
    assert.equal(second.server.projections.appliedSinceStart().sessions, 0, 'the current snapshot was loaded, not removed');
    assert.equal(files.read('sessions')!.data.length, 3);
  });

  it('starts and serves when a left-over file cannot be removed, and says so in its log', async () => {
    const first = await start();
    await createSessions(first, 2);
    await first.stop();
    // A directory where a snapshot file is expected: rm without `recursive` refuses it.
    const stuck = join(snapshotDirectory(dataDir), 'stale.json');
    mkdirSync(stuck);

    const second = await start();

    assert.equal(existsSync(stuck), true);
    assert.ok(second.logs.some((line) => line.includes('old snapshot files not removed')), second.logs.join('\n'));
    assert.equal((await titles(second)).length, 2);
  });

  it('ignores a snapshot that does not belong to this log (its hash differs)', async () => {
    const first = await start();
    await createSessions(first, 4);
    await first.stop();
    const files = new SnapshotFiles(snapshotDirectory(dataDir));
    const snapshot = files.read('sessions')!;
    await files.write({ ...snapshot, hash: 'f'.repeat(64), data: [] });

    const second = await start();
    assert.equal(second.server.projections.appliedSinceStart().sessions, 4);
    assert.equal((await titles(second)).length, 4);
  });

  it('rebuilds, for any history, a model equal to the one built while serving', async function () {
    this.timeout(120_000);
    const command = fc.oneof(
      fc.record({ kind: fc.constant('create' as const), title: fc.string({ minLength: 1, maxLength: 12 }).filter((text) => text.trim() !== ''), tags: fc.array(fc.constantFrom('Mix', 'mix', 'keys', 'Vocals'), { maxLength: 3 }) }),
      fc.record({ kind: fc.constant('patch' as const), target: fc.nat(), status: fc.constantFrom('draft', 'review', 'final'), client: fc.option(fc.constantFrom('Ana', 'Bo'), { nil: null }) }),
      fc.record({ kind: fc.constant('notes' as const), target: fc.nat(), notes: fc.string({ maxLength: 20 }) }),
      fc.record({ kind: fc.constant('tags' as const), target: fc.nat(), tags: fc.array(fc.constantFrom('a', 'B', 'b', 'c'), { maxLength: 3 }) }),
      fc.record({ kind: fc.constant('delete' as const), target: fc.nat() }),
      fc.record({ kind: fc.constant('create-once' as const), key: fc.constantFrom('k1', 'k2'), title: fc.constantFrom('One', 'Two') }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (history) => {
        const server = await startTestServer();
        try {
          const ids: string[] = [];
          for (const step of history) {
            const id = ids.length > 0 && 'target' in step ? ids[step.target % ids.length] : undefined;
            if (step.kind === 'create') ids.push((await server.api('POST', '/sessions', { json: { title: step.title, tags: step.tags } })).body.data.id);
            else if (step.kind === 'create-once') {
              const response = await server.api('POST', '/sessions', { json: { title: step.title }, headers: { 'Idempotency-Key': step.key } });
              if (response.status === 201) ids.push(response.body.data.id);
            } else if (id && step.kind === 'patch') await server.api('PATCH', `/sessions/${id}`, { json: { status: step.status, client: step.client } });
            else if (id && step.kind === 'notes') await server.api('PUT', `/sessions/${id}/notes`, { json: { notes: step.notes } });
            else if (id && step.kind === 'tags') await server.api('PUT', `/sessions/${id}/tags`, { json: { tags: step.tags } });
            else if (id && step.kind === 'delete') await server.api('DELETE', `/sessions/${id}`);
          }
          const rebuilt = createReadModels().all;
          const runner = new ProjectionRunner(server.server.store, rebuilt);
          await runner.start();
          runner.stop();
          for (const model of rebuilt) {
            const served = server.server.projections.projections.find((projection) => projection.name === model.name)!;
            assert.deepEqual(model.snapshot(), served.snapshot(), `${model.name} rebuilt differs from the served model`);
          }
        } finally {
          await server.dispose();
        }
      }),
      { numRuns: 15 },
    );
  });
});
