import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually';
import { BIN, runCli } from '../helpers/process';
import { newDataDir, startTestServer } from '../helpers/server';
import { IN_USE, bulkLog, runCliWithInput, serverHistory, storedRecords, type ServerHistory } from './log-fixture';

describe('sessiondock export and restore (real processes)', () => {
  let history: ServerHistory;
  let backup: string;
  let parent: string;
  const dirs: string[] = [];

  before(async () => {
    history = await serverHistory();
    dirs.push(history.dataDir);
    const exported = await runCli(['export', '--data-dir', history.dataDir]);
    assert.equal(exported.code, 0, exported.stderr);
    backup = exported.stdout;
  });

  beforeEach(() => {
    parent = newDataDir();
    dirs.push(parent);
  });

  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** The backup with line `number` (1-based) replaced. */
  const withLine = (number: number, change: (line: string) => string) =>
    backup
      .split('\n')
      .map((line, index) => (index === number - 1 ? change(line) : line))
      .join('\n');

  it('exports every stored record, one per line, exactly as stored', async () => {
    assert.equal(backup, (await storedRecords(history.dataDir)).map((record) => `${record}\n`).join(''));
    assert.equal(backup.split('\n').length - 1, history.events.length);
  });

  it('restores into a new dir: same records and hashes, verify passes, the server answers the same', async () => {
    const target = join(parent, 'restored');
    const restored = await runCliWithInput(['restore', '--data-dir', target], backup);
    assert.equal(restored.stderr, '');
    assert.equal(restored.stdout, `restored ${history.events.length} events into ${target}\n`);
    assert.equal(restored.code, 0);
    assert.deepEqual(readdirSync(parent), ['restored'], 'no staging directory is left beside it');

    assert.deepEqual(await storedRecords(target), await storedRecords(history.dataDir));
    assert.equal((await runCli(['export', '--data-dir', target])).stdout, backup);
    const verified = await runCli(['verify', '--data-dir', target]);
    assert.equal(verified.stdout, `ok: ${history.events.length} events, hash chain intact\n`);

    const server = await startTestServer({}, { dataDir: target });
    try {
      const rehost = (text: string) => text.split(history.origin).join(server.origin);
      const listing = (await server.api('GET', '/sessions?limit=100')).body;
      assert.deepEqual(listing, JSON.parse(rehost(JSON.stringify(history.listing))));
      assert.deepEqual(listing.data.map((session: { id: string }) => session.id).sort(), history.ids.filter((id) => id !== history.deleted).sort());
      assert.equal((await server.api('GET', `/sessions/${history.deleted}`)).status, 404);
      assert.deepEqual((await server.api('GET', '/events?limit=1000')).body, history.apiEvents);
      assert.equal(server.server.store.head().position, history.events.length);
    } finally {
      await server.stop();
    }
  });

  it('restores into an existing empty dir', async () => {
    const target = join(parent, 'empty');
    mkdirSync(target);
    const restored = await runCliWithInput(['restore', '--data-dir', target], backup);
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal((await runCli(['verify', '--data-dir', target])).code, 0);
  });

  it('restores empty input as an empty log', async () => {
    const target = join(parent, 'nothing');
    const restored = await runCliWithInput(['restore', '--data-dir', target], '');
    assert.equal(restored.stdout, `restored 0 events into ${target}\n`);
    assert.equal(restored.code, 0);
    assert.equal((await runCli(['verify', '--data-dir', target])).stdout, 'ok: 0 events, hash chain intact\n');
  });

  const corruptions: Array<[string, (line: string) => string, RegExp]> = [
    ['truncated', (line) => line.slice(0, line.length / 2), /line 3: not valid JSON/],
    ['with its hash changed', (line) => line.replace(/"hash":"(.)/, (_, first: string) => `"hash":"${first === 'a' ? 'b' : 'a'}`), /line 3: hash chain broken/],
  ];
  for (const [what, change, problem] of corruptions) {
    it(`stops at a line ${what}, naming it, and leaves no data dir behind`, async () => {
      const target = join(parent, 'restored');
      const restored = await runCliWithInput(['restore', '--data-dir', target], withLine(3, change));
      assert.match(restored.stderr, /^sessiondock: restore stopped, nothing was restored: /);
      assert.match(restored.stderr, problem);
      assert.equal(restored.stdout, '');
      assert.equal(restored.code, 1);
      assert.equal(existsSync(target), false);
      assert.deepEqual(readdirSync(parent), [], 'no staging directory is left behind');
    });
  }

  it('stops at a line that breaks a rule of the log (a skipped position) and leaves an empty target empty', async () => {
    const target = join(parent, 'empty');
    mkdirSync(target);
    const lines = backup.split('\n');
    const restored = await runCliWithInput(['restore', '--data-dir', target], [...lines.slice(0, 2), ...lines.slice(3)].join('\n'));
    assert.match(restored.stderr, /line 3: position 3 is missing: the next event is at position 4\n$/);
    assert.equal(restored.code, 1);
    assert.deepEqual(readdirSync(target), []);
    assert.deepEqual(readdirSync(parent), ['empty']);
  });

  it('refuses a data dir that is not empty, and a path that is a file, touching neither', async () => {
    const full = join(parent, 'full');
    cpSync(history.dataDir, full, { recursive: true });
    const refused = await runCliWithInput(['restore', '--data-dir', full], backup);
    assert.match(refused.stderr, new RegExp(`^sessiondock: cannot restore into ${full}: it is not empty \\(.*log.*\\); restore only into an absent or empty data directory\\n$`));
    assert.equal(refused.code, 2);
    assert.deepEqual(await storedRecords(full), await storedRecords(history.dataDir));

    const file = join(parent, 'file');
    writeFileSync(file, 'x');
    const notDir = await runCliWithInput(['restore', '--data-dir', file], backup);
    assert.match(notDir.stderr, /^sessiondock: cannot read .*config\.json: ENOTDIR\n$/);
    assert.equal(notDir.code, 2);
    assert.deepEqual(readdirSync(parent).sort(), ['file', 'full']);
  });

  it('restores nothing when the target is filled while the restore runs', async () => {
    const target = join(parent, 'target');
    const child = spawn(process.execPath, [BIN, 'restore', '--data-dir', target]);
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const closed = new Promise((resolve) => child.on('close', resolve));
    child.stdin.write(backup.split('\n').slice(0, 3).join('\n'));
    // Once the staging directory exists the target has been checked; then something else fills it.
    await eventually(async () => readdirSync(parent), (entries) => entries.some((entry) => entry.startsWith('.target.restore-')), 'the staging directory');
    mkdirSync(target);
    writeFileSync(join(target, 'intruder'), 'x');
    child.stdin.end(`\n${backup.split('\n').slice(3).join('\n')}`);
    assert.equal(await closed, 1);
    assert.equal(stderr, `sessiondock: ${target} changed during the restore; nothing was restored\n`);
    assert.deepEqual(readdirSync(parent), ['target']);
    assert.deepEqual(readdirSync(target), ['intruder']);
  });

  describe('on a large log', () => {
    let large: string;
    const COUNT = 3000;

    before(async () => {
      large = newDataDir();
      dirs.push(large);
      await bulkLog(large, COUNT);
    });

    it('exports through a pipe far smaller than the log, every record in order', async () => {
      const records = await storedRecords(large);
      const exported = await runCli(['export', '--data-dir', large], {}, 30_000);
      assert.equal(exported.code, 0, exported.stderr);
      assert.equal(exported.stdout, records.map((record) => `${record}\n`).join(''));
      assert.ok(exported.stdout.length > 10 * 65536);
    });

    it('fails with a clear message when its reader goes away mid-export', async () => {
      const child = spawn(process.execPath, [BIN, 'export', '--data-dir', large]);
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise((resolve) => child.on('close', resolve));
      assert.equal(stderr, 'sessiondock: the output was closed before the end (EPIPE)\n');
      assert.equal(code, 1);
    });

    it('restores it in batches', async () => {
      const target = join(parent, 'large');
      const backupText = (await runCli(['export', '--data-dir', large], {}, 30_000)).stdout;
      const restored = await runCliWithInput(['restore', '--data-dir', target], backupText, 30_000);
      assert.equal(restored.code, 0, restored.stderr);
      assert.equal((await runCli(['verify', '--data-dir', target], {}, 30_000)).stdout, `ok: ${COUNT} events, hash chain intact\n`);
    });
  });

  it('export refuses cleanly while a server holds the data dir', async () => {
    const held = join(parent, 'held');
    cpSync(history.dataDir, held, { recursive: true });
    const server = await startTestServer({}, { dataDir: held });
    try {
      const result = await runCli(['export', '--data-dir', held]);
      assert.match(result.stderr, IN_USE);
      assert.equal(result.stdout, '');
      assert.equal(result.code, 1);
    } finally {
      await server.stop();
    }
  });
});
