import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { runCli } from '../helpers/process';
import { newDataDir, startTestServer } from '../helpers/server';
import { IN_USE, editLog, eventKey, serverHistory, type ServerHistory } from './log-fixture';

describe('sessiondock verify (real processes)', () => {
  let history: ServerHistory;
  const dirs: string[] = [];
  /** A copy of the server's data dir to tamper with. */
  const copy = () => {
    const dir = newDataDir();
    dirs.push(dir);
    cpSync(history.dataDir, dir, { recursive: true });
    return dir;
  };

  before(async () => {
    history = await serverHistory();
    dirs.push(history.dataDir);
  });

  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('passes on a healthy log written by a real server', async () => {
    const result = await runCli(['verify', '--data-dir', history.dataDir]);
    assert.equal(result.stderr, '');
    assert.equal(result.stdout, `ok: ${history.events.length} events, hash chain intact\n`);
    assert.equal(result.code, 0);
  });

  it('fails naming the position after one byte of a stored event is changed', async () => {
    const dir = copy();
    const target = history.events.find((event) => event.data.title === 'Drum edit')!;
    await editLog(dir, async (db) => {
      const stored = await db.get(eventKey(target.position));
      assert.ok(stored?.includes('Drum edit'));
      await db.put(eventKey(target.position), stored.replace('Drum edit', 'Drum edjt'));
    });
    const result = await runCli(['verify', '--data-dir', dir]);
    assert.match(result.stdout, new RegExp(`^corrupt at position ${target.position}: hash chain broken`));
    assert.equal(result.code, 1);
  });

  it('reports a removed event as the gap it leaves', async () => {
    const dir = copy();
    await editLog(dir, (db) => db.del(eventKey(3)));
    const result = await runCli(['verify', '--data-dir', dir]);
    assert.equal(result.stdout, 'corrupt at position 3: position 3 is missing: the next event is at position 4\n');
    assert.equal(result.code, 1);
  });

  it('reports a stream head that disagrees with the log', async () => {
    const dir = copy();
    const stream = history.events.filter((event) => event.streamId === history.ids[0]);
    await editLog(dir, (db) => db.put(`h!${history.ids[0]}`, String(stream.length + 1)));
    const result = await runCli(['verify', '--data-dir', dir]);
    assert.equal(
      result.stdout,
      `corrupt at position ${stream[stream.length - 1].position}: stream ${history.ids[0]} has ${stream.length} event(s) but its stored head says version ${stream.length + 1}\n`,
    );
    assert.equal(result.code, 1);
  });

  it('refuses a data dir without a log, creating nothing', async () => {
    const dir = newDataDir();
    dirs.push(dir);
    const result = await runCli(['verify', '--data-dir', dir]);
    assert.equal(result.stderr, `sessiondock: no event log in ${dir} (${dir}/log does not exist)\n`);
    assert.equal(result.code, 1);
    const again = await runCli(['verify', '--data-dir', dir]);
    assert.equal(again.code, 1, 'the first run must not have created a log');
  });

  it('refuses cleanly while a server holds the data dir', async () => {
    const server = await startTestServer({}, { dataDir: copy() });
    try {
      const result = await runCli(['verify', '--data-dir', server.dataDir]);
      assert.match(result.stderr, IN_USE);
      assert.equal(result.stdout, '');
      assert.equal(result.code, 1);
    } finally {
      await server.stop();
    }
  });
});
