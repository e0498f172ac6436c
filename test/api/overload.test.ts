import assert from 'node:assert/strict';
import { eventually } from '../helpers/eventually';
import { tempProjects } from '../helpers/projects';
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

  it('lets an import give way to an overloaded log: its refused appends are tried again and every item is imported once', async () => {
    const projects = tempProjects();
    try {
      const items = Array.from({ length: 60 }, (_, index) => ({ projectPath: projects.folder(`Song ${index}`) }));
      // Eight items at a time, each appending twice, against a queue of 4: the import overloads its own log.
      const accepted = await server.api('POST', '/import', { json: { items } });
      assert.equal(accepted.status, 202, accepted.text);
      const status = await eventually(
        async () => (await server.api('GET', `/import/${accepted.body.data.importId}`)).body.data,
        (data) => data.done === true,
        'the import to finish',
        20_000,
      );
      assert.deepEqual([status.completed, status.failed, status.skipped], [60, 0, 0]);
      const created = (await readAllEvents(server)).filter((event) => event.type === 'SessionCreated' && event.meta.correlationId === accepted.body.data.importId);
      assert.equal(new Set(created.map((event) => event.data.projectPath)).size, 60);
      assert.equal(created.length, 60);
    } finally {
      projects.cleanup();
    }
  });
});

