import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { NewEvent } from '../../events/envelope';
import { MAX_SCANNED_PER_PAGE } from '../../src/http/routes/events';
import { EventLog, LevelBackend } from '../../src/store';
import { assertHealthWithin, assertLogKeeps, assertMemoryUnder, idleHealthMs, rssBytes, slowestHealthDuring } from '../helpers/hardening';
import { newDataDir, startTestServer, type TestServer } from '../helpers/server';

/*
 * A page of GET /events filtered on a type that is rare or absent used to read the whole log in
 * one request. It now looks through at most MAX_SCANNED_PER_PAGE positions and gives `meta.next`
 * where it stopped, so following `next` still finds every event of the type.
 */

const SESSIONS = 25;
const EVENTS_PER_SESSION = 1_000;
const CONCURRENT = 20;
const RSS_BOUND_MB = 1024;

const meta = (index: number) => ({ at: new Date(Date.UTC(2026, 0, 1, 0, 0, index)).toISOString(), requestId: `seed-${index}`, actor: 'seed' });
const created = (title: string): NewEvent => ({
  type: 'SessionCreated',
  data: { title, kind: 'Ableton', status: 'draft', accent: 'default', tags: [], notes: '', client: null, projectPath: null },
});

/** A log of SESSIONS sessions with EVENTS_PER_SESSION notes each, and no deletion. */
async function seed(dataDir: string): Promise<string[]> {
  const log = await EventLog.open(new LevelBackend(join(dataDir, 'log')));
  const ids = Array.from({ length: SESSIONS }, (_, index) => `session_01JDXAMPLE00000000000000${String(index).padStart(2, '0')}`);
  try {
    for (const [index, id] of ids.entries()) {
      const notes: NewEvent[] = Array.from({ length: EVENTS_PER_SESSION - 1 }, (_, version) => ({ type: 'SessionNotesReplaced', data: { notes: `take ${version}` } }));
      await log.append(id, 0, [created(`Session ${index}`), ...notes], meta(index));
    }
  } finally {
    await log.close();
  }
  return ids;
}

describe('hardening: GET /events filtered on a rare type reads a bounded window per page', function () {
  this.timeout(120_000);
  let server: TestServer;
  let sessionIds: string[];

  before(async () => {
    const dataDir = newDataDir();
    sessionIds = await seed(dataDir);
    server = await startTestServer({}, { dataDir });
  });

  after(() => server.dispose());

  it('answers an absent type with an empty page and next where the window ended, and following next finds a later event', async () => {
    const head = SESSIONS * EVENTS_PER_SESSION;
    assert.ok(head > 2 * MAX_SCANNED_PER_PAGE, 'the log is longer than two windows');
    const first = await server.api('GET', '/events?type=SessionDeleted&limit=100');
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.body.data, []);
    assert.deepEqual(first.body.meta, { limit: 100, next: MAX_SCANNED_PER_PAGE, head });

    const deleted = await server.api('DELETE', `/sessions/${sessionIds[3]}`);
    assert.equal(deleted.status, 200, deleted.text);
    const found: Array<{ type: string; streamId: string }> = [];
    let pages = 0;
    for (let after: number | null = 0; after !== null; pages += 1) {
      assert.ok(pages <= Math.ceil((head + 1) / MAX_SCANNED_PER_PAGE), 'following next ends');
      const page = await server.api('GET', `/events?type=SessionDeleted&limit=100&after=${after}`);
      assert.equal(page.status, 200, page.text);
      found.push(...page.body.data);
      after = page.body.meta.next;
    }
    assert.deepEqual(
      found.map(({ type, streamId }) => ({ type, streamId })),
      [{ type: 'SessionDeleted', streamId: sessionIds[3] }],
    );
    assert.equal(pages, Math.ceil((head + 1) / MAX_SCANNED_PER_PAGE));
  });

  it('keeps /health within its bound while many such pages are read at once, and the log keeps every write', async () => {
    const target = { baseUrl: server.baseUrl, token: server.token };
    const idleMs = await idleHealthMs(target);
    const pages = Promise.all(Array.from({ length: CONCURRENT }, (_, index) => server.api('GET', `/events?type=SessionOpened&after=${index * 1000}`)));
    const { result, slowestMs } = await slowestHealthDuring(target, pages);
    for (const page of result) assert.equal(page.status, 200, page.text);
    assertHealthWithin(slowestMs, idleMs, { floorMs: 1000 });
    assertMemoryUnder(rssBytes(), RSS_BOUND_MB, 'the test process with the server in it');
    await server.stop();
    await assertLogKeeps(server.dataDir, sessionIds);
  });
});
