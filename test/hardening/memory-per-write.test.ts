import assert from 'node:assert/strict';
import { heapAfterGc } from '../helpers/heap';
import { assertHealthWithin, assertLogKeeps, assertMemoryUnder, idleHealthMs, rssBytes, slowestHealthDuring } from '../helpers/hardening';
import { startTestServer, type TestServer } from '../helpers/server';

/*
 * The soak's memory criterion (issue 17): with a steady catalogue (every create deleted again) the
 * heap must not grow with the number of writes ever made. Per write, the server kept a stream
 * version in the log's map and, for a keyed write, 24 hours of idempotency result; both are now
 * bounded (cachedStreamVersions, maxIdempotencyKeys). Small caps here, so a CI-sized churn passes them.
 */

const CACHED_STREAM_VERSIONS = 50;
const MAX_IDEMPOTENCY_KEYS = 100;
const SESSIONS_PER_ROUND = 2500;
const CONCURRENCY = 8;
/**
 * Heap growth allowed over a second round of churn, per session: without the caps it is ~730 B
 * (of which ~430 B the version and the key kept, the rest this test's own ids and noise), with them
 * 150-300 B.
 */
const GROWTH_BOUND_BYTES_PER_SESSION = 375;
const SERVER_RSS_MB = 600;

describe('hardening: memory kept per write (the soak criterion)', function () {
  this.timeout(120_000);
  let server: TestServer;

  beforeEach(async function () {
    server = await startTestServer({ cachedStreamVersions: CACHED_STREAM_VERSIONS, maxIdempotencyKeys: MAX_IDEMPOTENCY_KEYS });
  });

  afterEach(async function () {
    await server.dispose();
  });

  const create = async (key: string, title: string) => {
    const response = await server.api('POST', '/sessions', { headers: { 'Idempotency-Key': key }, json: { title } });
    assert.ok(response.status === 201, `create answered ${response.status}: ${response.text}`);
    return { id: response.body.data.id as string, replayed: response.headers['idempotent-replayed'] === 'true' };
  };

  /** Keyed creates, each deleted again: the catalogue stays the same size. Gives the ids acknowledged. */
  async function churn(round: string, count: number): Promise<string[]> {
    const acknowledged: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const index = next++;
        const { id } = await create(`${round}-${index}`, `${round} ${index}`);
        acknowledged.push(id);
        const deleted = await server.api('DELETE', `/sessions/${id}`);
        assert.equal(deleted.status, 200, deleted.text);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return acknowledged;
  }

  it('keeps a steady heap over thousands of keyed creates and deletes, and answers versions and keys of forgotten writes right', async function () {
    const target = { baseUrl: server.baseUrl, token: server.token };
    const idleMs = await idleHealthMs(target);
    // Sessions that stay, written to again once their versions are long forgotten.
    const kept = [await create('kept-0', 'Kept 0'), await create('kept-1', 'Kept 1')];

    const acknowledged = [...kept.map(({ id }) => id), ...(await churn('warm', SESSIONS_PER_ROUND))];
    const heapBefore = await heapAfterGc();
    const { result, slowestMs } = await slowestHealthDuring(target, churn('steady', SESSIONS_PER_ROUND));
    acknowledged.push(...result);
    const heapAfter = await heapAfterGc();

    const growth = heapAfter - heapBefore;
    assert.ok(
      growth <= GROWTH_BOUND_BYTES_PER_SESSION * SESSIONS_PER_ROUND,
      `the heap grew ${(growth / 1024).toFixed(0)} KB over ${SESSIONS_PER_ROUND} keyed creates and deletes (${Math.round(growth / SESSIONS_PER_ROUND)} B each)`,
    );
    assertHealthWithin(slowestMs, idleMs);
    assertMemoryUnder(rssBytes(), SERVER_RSS_MB, 'test process RSS (the server runs in it)');

    // A forgotten stream version is read again: a stale If-Match is refused, the current one accepted.
    const stale = await server.api('PATCH', `/sessions/${kept[0].id}`, { headers: { 'If-Match': '"0"' }, json: { title: 'Stale' } });
    assert.equal(stale.status, 412, stale.text);
    const current = await server.api('PATCH', `/sessions/${kept[0].id}`, { headers: { 'If-Match': '"1"' }, json: { title: 'Renamed' } });
    assert.equal(current.status, 200, current.text);
    assert.equal(current.body.data.version, 2);

    // The newest keys are replayed; the oldest, past the cap, are forgotten early and write again.
    const recent = await create(`steady-${SESSIONS_PER_ROUND - 1}`, `steady ${SESSIONS_PER_ROUND - 1}`);
    assert.equal(recent.replayed, true, 'a recent key is replayed');
    const forgotten = await create('kept-1', 'Kept 1');
    assert.equal(forgotten.replayed, false, 'a key past the cap writes again');
    assert.notEqual(forgotten.id, kept[1].id);
    acknowledged.push(forgotten.id);

    await server.stop();
    await assertLogKeeps(server.dataDir, acknowledged);
  });
});
