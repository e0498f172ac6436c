import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { StoredEvent } from '../../events/envelope';
import { IdempotencyProjection } from '../../projections/idempotency';
import { assertLogKeeps } from '../helpers/hardening';
import { readAllEvents, startTestServer, type TestServer } from '../helpers/server';

const modelOf = (server: TestServer) => server.server.projections.projections.find((projection) => projection.name === 'idempotency') as IdempotencyProjection;

const create = (server: TestServer, key: string, title = 'Untitled') => server.api('POST', '/sessions', { json: { title }, headers: { 'Idempotency-Key': key } });

describe('hardening: idempotency keys held by hash, confirmed against the log', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.dispose();
    server = undefined;
  });

  it('given a key whose hash points at another key\'s write (a collision), when its request comes, then it writes anew instead of replaying the other', async () => {
    server = await startTestServer();
    const first = await create(server, 'key-a', 'First');
    assert.equal(first.status, 201);

    const model = modelOf(server);
    const candidateOfA = model.find('POST /api/v1/sessions', 'key-a', new Date())!;
    const find = model.find.bind(model);
    model.find = (scope, key, now) => (key === 'key-b' ? candidateOfA : find(scope, key, now));

    const second = await create(server, 'key-b', 'Second');
    assert.equal(second.status, 201);
    assert.equal(second.headers['idempotent-replayed'], undefined);
    assert.notEqual(second.body.data.id, first.body.data.id);
    assert.equal(second.body.data.title, 'Second');

    model.find = find;
    const retryOfA = await create(server, 'key-a', 'First');
    assert.equal(retryOfA.status, 201);
    assert.equal(retryOfA.headers['idempotent-replayed'], 'true');
    assert.equal(retryOfA.body.data.id, first.body.data.id);
    assert.equal((await readAllEvents(server)).filter((event) => event.type === 'SessionCreated').length, 2);
    await server.stop();
    await assertLogKeeps(server.dataDir, [first.body.data.id, second.body.data.id]);
  });

  it('given keyed writes saved in a snapshot, when the server restarts from it, then retries replay and a different body is refused; the snapshot holds no key text', async () => {
    server = await startTestServer();
    const created = [];
    for (let index = 0; index < 20; index += 1) created.push(await create(server, `restart-key-${index}`, `Take ${index}`));
    const dataDir = server.dataDir;
    await server.stop();

    const snapshotFile = join(dataDir, 'snapshots', 'idempotency.ndjson');
    assert.ok(existsSync(snapshotFile));
    const snapshotText = readFileSync(snapshotFile, 'utf8');
    assert.ok(!snapshotText.includes('restart-key-'), 'the snapshot keeps hashes, not keys');

    server = await startTestServer({}, { dataDir });
    assert.equal(modelOf(server).size, 20);
    for (const index of [0, 7, 19]) {
      const retry = await create(server, `restart-key-${index}`, `Take ${index}`);
      assert.equal(retry.status, 201);
      assert.equal(retry.headers['idempotent-replayed'], 'true');
      assert.equal(retry.body.data.id, created[index].body.data.id);
    }
    const reused = await create(server, 'restart-key-3', 'Another body');
    assert.equal(reused.status, 422);
    assert.equal(reused.body.error.code, 'idempotency_key_reused');
    assert.equal((await readAllEvents(server)).filter((event) => event.type === 'SessionCreated').length, 20);
    await server.stop();
    await assertLogKeeps(server.dataDir, created.map((response) => response.body.data.id));
  });

  it('given 100,000 keys of 40 characters within 24 hours, when applied, then the JS heap after full GC grows by under 20 B per key', () => {
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    const heapAfterGc = () => {
      for (let round = 0; round < 3; round += 1) collect();
      return process.memoryUsage().heapUsed;
    };
    const KEYS = 100_000;
    const at = Date.now();
    const eventOf = (index: number): StoredEvent => ({
      position: index + 1,
      streamId: `session-${index}`,
      version: 1,
      type: 'SessionCreated',
      schemaVersion: 1,
      data: {},
      meta: { at: new Date(at + index).toISOString(), requestId: `r${index}`, actor: 'test', idempotencyKey: `client-key-${String(index).padStart(28, '0')}`, requestHash: index.toString(16).padStart(64, 'a') },
      hash: '0'.repeat(64),
    });
    const model = new IdempotencyProjection(KEYS);
    model.apply(eventOf(0));
    const before = heapAfterGc();
    for (let index = 1; index < KEYS; index += 1) model.apply(eventOf(index));
    const after = heapAfterGc();

    assert.equal(model.size, KEYS);
    assert.ok(model.find('POST /api/v1/sessions', `client-key-${String(KEYS - 1).padStart(28, '0')}`, new Date(at)));
    const perKey = (after - before) / KEYS;
    assert.ok(perKey < 20, `the model keeps ${perKey.toFixed(1)} B of JS heap per key`);
  });
});
