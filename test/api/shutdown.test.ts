import assert from 'node:assert/strict';
import { request } from 'node:http';
import { eventually } from '../helpers/eventually';
import { httpCall } from '../helpers/http';
import { readAllEvents, startTestServer, type TestServer } from '../helpers/server';

describe('shutdown: stop accepting, finish what is in flight, close the log', () => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startTestServer();
  });

  afterEach(async () => {
    await server.dispose();
  });

  it('answers a create whose body is still arriving when close() starts, then refuses new connections', async () => {
    const body = JSON.stringify({ title: 'In flight at shutdown' });
    const inFlight = request(`${server.baseUrl}/sessions`, {
      method: 'POST',
      agent: false,
      headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) },
    });
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      inFlight.on('response', (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      inFlight.on('error', reject);
    });
    inFlight.write(body.slice(0, 5));
    await eventually(async () => server.server.requestsInFlight(), (count) => count === 1, 'the request reached the server');

    const closed = server.stop();
    await assert.rejects(httpCall(`${server.baseUrl}/health`, 'GET', { headers: { Authorization: `Bearer ${server.token}` } }), /ECONNREFUSED/);
    inFlight.end(body.slice(5));

    const response = await answered;
    assert.equal(response.status, 201, response.text);
    await closed;
    const events = await reopenedEvents(server);
    assert.deepEqual(events.map((event) => event.streamId), [JSON.parse(response.text).data.id]);
  });
});

async function reopenedEvents(stopped: TestServer) {
  const again = await startTestServer({}, { dataDir: stopped.dataDir });
  try {
    return await readAllEvents(again);
  } finally {
    await again.stop();
  }
}
