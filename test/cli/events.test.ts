import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import type { StoredEvent } from '../../events/envelope';
import { logDirectory } from '../../src/server';
import { LevelBackend } from '../../src/store';
import { chainHash, eventJson, withHash } from '../../src/store/hash-chain';
import { runCli } from '../helpers/process';
import { newDataDir, startTestServer } from '../helpers/server';
import { meta, sessionData } from '../store/fixtures';
import { IN_USE, bulkLog, serverHistory, type ServerHistory } from './log-fixture';

const SHAPE = ['position', 'streamId', 'version', 'type', 'schemaVersion', 'data', 'meta', 'hash'];
const jsonLines = (stdout: string) => stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as StoredEvent);

describe('sessiondock events (real processes)', () => {
  let history: ServerHistory;
  const dirs: string[] = [];
  const events = (...args: string[]) => runCli(['events', '--data-dir', history.dataDir, ...args]);

  before(async () => {
    history = await serverHistory();
    dirs.push(history.dataDir);
  });

  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('prints the log as a table: position, time, type, stream, actor and a data summary', async () => {
    const result = await events();
    assert.equal(result.code, 0, result.stderr);
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    assert.match(header, /^POSITION +TIME +TYPE +STREAM +ACTOR +DATA$/);
    assert.equal(rows.length, history.events.length);
    rows.forEach((row, index) => {
      const event = history.events[index];
      const cells = row.trim().split(/ {2,}/);
      assert.deepEqual(cells.slice(0, 5), [String(event.position), event.meta.at, event.type, `${event.streamId} v${event.version}`, event.meta.actor]);
    });
    assert.match(rows[0], /title="Bass stems" kind="Ableton" status="draft"/);
    const deleted = history.events.find((event) => event.type === 'SessionDeleted')!;
    assert.equal(rows[deleted.position - 1].trim().split(/ {2,}/).length, 5, 'no data, no summary');
  });

  it('prints NDJSON in the §10 shape, as GET /events shows it, with --json', async () => {
    const result = await events('--json');
    assert.equal(result.code, 0, result.stderr);
    const lines = jsonLines(result.stdout);
    for (const line of lines) assert.deepEqual(Object.keys(line), SHAPE);
    assert.deepEqual(lines, history.apiEvents.data);
  });

  it('filters by --type (repeatable), --session and --after', async () => {
    const types = jsonLines((await events('--json', '--type', 'SessionUpdated', '--type', 'SessionDeleted')).stdout);
    assert.deepEqual(types, history.events.filter((event) => event.type === 'SessionUpdated' || event.type === 'SessionDeleted'));
    assert.ok(types.length >= 3);

    const session = jsonLines((await events('--json', '--session', history.ids[0])).stdout);
    assert.deepEqual(session, history.events.filter((event) => event.streamId === history.ids[0]));
    const later = jsonLines((await events('--json', '--session', history.ids[0], '--after', String(session[0].position))).stdout);
    assert.deepEqual(later, session.slice(1));

    const after = await events('--after', '6', '--type', 'SessionUpdated');
    const positions = after.stdout.trimEnd().split('\n').slice(1).map((row) => Number(row.trim().split(' ')[0]));
    assert.deepEqual(positions, history.events.filter((event) => event.position > 6 && event.type === 'SessionUpdated').map((event) => event.position));

    const none = await events('--session', 'session_01ARZ3NDEKTSV4RRFFQ69G5FAV');
    assert.equal(none.stdout.trimEnd().split('\n').length, 1, 'the header only');
    assert.equal(none.code, 0);
  });

  it('shows old events upcast to their current schema version', async () => {
    const dir = newDataDir();
    dirs.push(dir);
    const { client: _client, ...v1 } = sessionData({ title: 'Old one' });
    const unhashed = { position: 1, streamId: 'session-old', version: 1, type: 'SessionCreated', schemaVersion: 1, data: v1, meta: meta() };
    const json = eventJson(unhashed);
    const hash = chainHash('0'.repeat(64), json);
    const backend = new LevelBackend(logDirectory(dir));
    await backend.load();
    await backend.write([{ event: { ...unhashed, hash }, json: withHash(json, hash) }], new Map([['session-old', 1]]), { position: 1, hash });
    await backend.close();

    const [shown] = jsonLines((await runCli(['events', '--data-dir', dir, '--json'])).stdout);
    assert.equal(shown.schemaVersion, 2);
    assert.equal(shown.data.client, null);
    assert.equal(shown.hash, hash);
    assert.equal((await runCli(['verify', '--data-dir', dir])).code, 0);
  });

  it('pages through a large log from --after without reading what comes before', async () => {
    const dir = newDataDir();
    dirs.push(dir);
    await bulkLog(dir, 2000);
    const result = await runCli(['events', '--data-dir', dir, '--after', '1990']);
    const rows = result.stdout.trimEnd().split('\n');
    assert.match(rows[0], /^POSITION/);
    assert.deepEqual(rows.slice(1).map((row) => Number(row.trim().split(' ')[0])), [1991, 1992, 1993, 1994, 1995, 1996, 1997, 1998, 1999, 2000]);
  });

  it('refuses a bad --after or an unknown --type (exit 2)', async () => {
    const after = await events('--after', 'ten');
    assert.equal(after.stderr, 'sessiondock: --after must be a log position (a whole number), not "ten"\n');
    assert.equal(after.code, 2);
    const type = await events('--type', 'SessionCreated', '--type', 'SessionExploded');
    assert.equal(type.stderr, 'sessiondock: --type "SessionExploded" is not an event type\n');
    assert.equal(type.code, 2);
    assert.equal(type.stdout, '');
  });

  it('refuses a data dir without a log', async () => {
    const dir = newDataDir();
    dirs.push(dir);
    const result = await runCli(['events', '--data-dir', dir]);
    assert.match(result.stderr, /^sessiondock: no event log in /);
    assert.equal(result.code, 1);
  });

  it('refuses cleanly while a server holds the data dir', async () => {
    const dir = newDataDir();
    dirs.push(dir);
    cpSync(history.dataDir, dir, { recursive: true });
    const server = await startTestServer({}, { dataDir: dir });
    try {
      const result = await runCli(['events', '--data-dir', dir]);
      assert.match(result.stderr, IN_USE);
      assert.equal(result.stdout, '');
      assert.equal(result.code, 1);
    } finally {
      await server.stop();
    }
  });
});
