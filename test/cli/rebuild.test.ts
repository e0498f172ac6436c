import assert from 'node:assert/strict';
import { createReadModels } from '../../projections/read-models';
import { SnapshotFiles } from '../../projections/snapshots';
import { rmSync } from 'node:fs';
import { snapshotDirectory } from '../../src/server';
import { runCli } from '../helpers/process';
import { newDataDir, startTestServer } from '../helpers/server';
import { IN_USE } from './log-fixture';

const NAMES = createReadModels().all.map((projection) => projection.name);

describe('sessiondock rebuild', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = newDataDir();
    const server = await startTestServer({}, { dataDir });
    for (const title of ['One', 'Two', 'Three']) await server.api('POST', '/sessions', { json: { title, tags: ['x'] } });
    const [first] = (await server.api('GET', '/sessions?sort=title')).body.data;
    await server.api('PATCH', `/sessions/${first.id}`, { json: { status: 'review' } });
    await server.stop();
  });

  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const snapshots = () => new SnapshotFiles(snapshotDirectory(dataDir));

  it('rebuilds every read model from the log, reports events/s, and finds them equal to the incremental ones', async () => {
    const result = await runCli(['rebuild', '--data-dir', dataDir]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^100%: 4\/4 events, \d+ events\/s$/m);
    assert.match(result.stdout, new RegExp(`^rebuilt ${NAMES.join(', ')} from 4 events in \\d+\\.\\d\\d s \\(\\d+ events\\/s\\)$`, 'm'));
    assert.match(result.stdout, /^sessions: equals the incremental model$/m);
    assert.match(result.stdout, /^idempotency: equals the incremental model$/m);
    assert.equal(snapshots().read('sessions')!.position, 4);
  });

  it('reports a read model that differs from the log, exits 1, and keeps the rebuilt one', async () => {
    const snapshot = snapshots().read('sessions')!;
    (snapshot.data[0] as { title: string }).title = 'Tampered';
    await snapshots().write(snapshot);

    const result = await runCli(['rebuild', '--data-dir', dataDir]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^sessions: DIFFERS from the incremental model$/m);
    assert.match(result.stdout, /^idempotency: equals the incremental model$/m);
    const rebuilt = snapshots().read('sessions')!;
    assert.ok(!rebuilt.data.some((session) => (session as { title: string }).title === 'Tampered'));
    assert.equal((await runCli(['rebuild', '--data-dir', dataDir])).code, 0);
  });

  it('rebuilds one projection with --projection and refuses an unknown one', async () => {
    const one = await runCli(['rebuild', '--data-dir', dataDir, '--projection', 'sessions']);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^rebuilt sessions from 4 events/m);
    assert.doesNotMatch(one.stdout, /idempotency/);
    const unknown = await runCli(['rebuild', '--data-dir', dataDir, '--projection', 'nope']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, new RegExp(`unknown projection nope: one of ${NAMES.join(', ')}`));
  });

  it('refuses while a server holds the data directory', async () => {
    const server = await startTestServer({}, { dataDir });
    try {
      const result = await runCli(['rebuild', '--data-dir', dataDir]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, IN_USE);
    } finally {
      await server.stop();
    }
  });
});
