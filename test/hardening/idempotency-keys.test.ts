import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IdempotencyProjection } from '../../projections/idempotency';
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
  });
});
