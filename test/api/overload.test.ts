import assert from 'node:assert/strict';
import { readAllEvents, startTestServer, type TestServer } from '../helpers/server';

/**
 * Contract §4, 503 overloaded: past the write queue's bound, writes are refused with Retry-After,
 * reads go on being served, memory stays bounded, and the server recovers by itself.
 */
describe('API: overload', function () {
  this.timeout(60_000);
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ maxQueuedWrites: 4 });
  });

  after(() => server.dispose());

  it('refuses writes past the queue with 503 overloaded and Retry-After, keeps serving reads, writes only what it acknowledged, and recovers', async () => {
    const rssBefore = process.memoryUsage().rss;
    const writes = Array.from({ length: 400 }, (_, index) => server.api('POST', '/sessions', { json: { title: `Flood ${index}`, notes: 'n'.repeat(2000) } }));
    const reads = Array.from({ length: 40 }, (_, index) => server.api('GET', index % 2 === 0 ? '/health' : '/sessions?limit=5'));
    const [written, read] = await Promise.all([Promise.all(writes), Promise.all(reads)]);

    const refused = written.filter((response) => response.status === 503);
    const created = written.filter((response) => response.status === 201);
    assert.ok(refused.length > 0, 'the flood passed the queue bound at least once');
    assert.equal(refused.length + created.length, written.length, `statuses: ${[...new Set(written.map((response) => response.status))]}`);
    for (const response of refused) {
      assert.equal(response.body.error.code, 'overloaded');
      assert.equal(response.headers['retry-after'], '1');
    }
    assert.ok(read.every((response) => response.status === 200), 'every read was served during the flood');

    const events = await readAllEvents(server);
    assert.deepEqual(new Set(events.map((event) => event.streamId)), new Set(created.map((response) => response.body.data.id)), 'the log holds exactly the acknowledged creates');
    assert.ok(process.memoryUsage().rss - rssBefore < 256 * 1024 * 1024, 'memory stayed bounded');

    const after = await server.api('POST', '/sessions', { json: { title: 'After the flood' } });
    assert.equal(after.status, 201, after.text);
  });
});
