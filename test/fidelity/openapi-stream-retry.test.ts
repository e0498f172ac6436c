import assert from 'node:assert/strict';
import { request } from 'node:http';
import { eventually } from '../helpers/eventually';
import { startTestServer, type TestServer } from '../helpers/server';
import { openStream } from '../helpers/sse';

/*
 * Issue 18, item 10: an EventSource client reconnects after a dropped stream after the time the
 * server's `retry:` field says, sent once as the stream starts, whatever its own default is.
 */

/** The first bytes of a fresh stream, as they came off the socket. */
function firstBytes(url: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Accept: 'text/event-stream', Authorization: `Bearer ${token}` }, agent: false }, (response) => {
      let received = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        received += chunk;
        if (received.includes('\n\n')) {
          resolve(received);
          req.destroy();
        }
      });
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('fidelity: the live stream tells clients when to reconnect (issue 18, item 10)', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ streamHeartbeatMs: 50 });
  });

  after(() => server.dispose());

  it('starts with `retry: 3000` (a few seconds), before anything else', async () => {
    assert.equal(await firstBytes(`${server.baseUrl}/events/stream`, server.token), 'retry: 3000\n: connected\n\n');
  });

  it('an EventSource-style reader gets the retry field once, then named events and heartbeats, and no second retry', async () => {
    const stream = await openStream(`${server.baseUrl}/events/stream`, { Authorization: `Bearer ${server.token}` });
    try {
      const created = await server.api('POST', '/sessions', { json: { title: 'Reconnect later' } });
      assert.equal(created.status, 201, created.text);
      const [message] = await stream.waitForMessages(1);
      assert.equal(message.event, 'SessionCreated');
      assert.equal(JSON.parse(message.data).data.title, 'Reconnect later');
      await eventually(async () => stream.comments.filter((comment) => comment === 'heartbeat').length, (count) => count >= 2, 'two heartbeats');
      assert.deepEqual(stream.retries, [3000]);
      assert.equal(stream.messages.length, 1, 'the retry field is not a message');
    } finally {
      stream.close();
    }
  });

  it('a resumed stream (Last-Event-ID) gets the field again, first', async () => {
    const stream = await openStream(`${server.baseUrl}/events/stream`, { Authorization: `Bearer ${server.token}`, 'Last-Event-ID': '0' });
    try {
      const [message] = await stream.waitForMessages(1);
      assert.equal(message.id, '1');
      assert.deepEqual(stream.retries, [3000]);
    } finally {
      stream.close();
    }
  });
});
