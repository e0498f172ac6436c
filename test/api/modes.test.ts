import assert from 'node:assert/strict';
import { logDirectory } from '../../src/server';
import { LevelBackend } from '../../src/store';
import { assertError } from '../helpers/assertions';
import { eventually } from '../helpers/eventually';
import { newDataDir, startTestServer, type TestServer } from '../helpers/server';

const READ_ONLY = 'Enable Full Automation to perform this action.';
const DISABLED = 'The Local API is disabled.';

async function health(server: TestServer): Promise<Record<string, any>> {
  const response = await server.api('GET', '/health');
  assert.equal(response.status, 200, response.text);
  return response.body.data;
}

const eio = () => Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });

/** A LevelDB log whose writes and probe writes fail with EIO while `failing` is set. */
class FailingLevelBackend extends LevelBackend {
  failing = false;
  probes = 0;

  override async write(...args: Parameters<LevelBackend['write']>): Promise<void> {
    if (this.failing) throw eio();
    await super.write(...args);
  }

  override async probe(): Promise<void> {
    this.probes += 1;
    if (this.failing) throw eio();
    await super.probe();
  }
}

describe('API: modes (contract §3, §9)', () => {
  const servers: TestServer[] = [];
  const track = (server: TestServer) => (servers.push(server), server);

  afterEach(async () => {
    // Newest first: a later server may share an earlier one's data directory.
    while (servers.length > 0) await servers.pop()!.dispose();
  });

  describe('read-only', () => {
    let server: TestServer;
    let seededId: string;

    beforeEach(async () => {
      // Given a session written by a full-automation server on the same data directory
      const dataDir = newDataDir();
      const seeder = track(await startTestServer({}, { dataDir }));
      const created = await seeder.api('POST', '/sessions', { json: { title: 'Seeded', tags: ['demo'] } });
      assert.equal(created.status, 201, created.text);
      seededId = created.body.data.id;
      await seeder.stop();
      // When the server restarts in read-only mode
      server = track(await startTestServer({ mode: 'read-only' }, { dataDir }));
    });

    it('refuses POST /sessions with 403 read_only and writes nothing', async () => {
      const before = server.server.store.head().position;
      const response = await server.api('POST', '/sessions', { json: { title: 'Not allowed' } });
      assertError(response, 403, 'read_only', READ_ONLY);
      assert.equal(server.server.store.head().position, before);
    });

    it('refuses a write for its mode before looking at its body', async () => {
      const response = await server.api('POST', '/sessions', { raw: '{', headers: { 'Content-Type': 'application/json' } });
      assertError(response, 403, 'read_only', READ_ONLY);
    });

    it('serves GET /sessions and GET /sessions/<id>', async () => {
      const list = await server.api('GET', '/sessions');
      assert.equal(list.status, 200, list.text);
      assert.equal(list.body.meta.total, 1);
      assert.equal(list.body.data[0].id, seededId);

      const one = await server.api('GET', `/sessions/${seededId}`);
      assert.equal(one.status, 200, one.text);
      assert.equal(one.body.data.title, 'Seeded');
      assert.deepEqual(one.body.data.tags, ['demo']);
    });

    it('reports configuredMode and effectiveMode read-only on /health, with no lastError', async () => {
      const data = await health(server);
      assert.equal(data.configuredMode, 'read-only');
      assert.equal(data.effectiveMode, 'read-only');
      assert.equal('lastError' in data, false);
      assert.equal(data.log.sessions, 1);
    });
  });

  describe('disabled', () => {
    let server: TestServer;
    let seededId: string;

    beforeEach(async () => {
      const dataDir = newDataDir();
      const seeder = track(await startTestServer({}, { dataDir }));
      const created = await seeder.api('POST', '/sessions', { json: { title: 'Seeded' } });
      assert.equal(created.status, 201, created.text);
      seededId = created.body.data.id;
      await seeder.stop();
      server = track(await startTestServer({ mode: 'disabled' }, { dataDir }));
    });

    it('answers every route but /health with 403 disabled', async () => {
      const attempts: Array<[string, string, Parameters<TestServer['api']>[2]]> = [
        ['GET', '/sessions', {}],
        ['GET', `/sessions/${seededId}`, {}],
        ['GET', '/sessions/session_unknown', {}],
        ['POST', '/sessions', { json: { title: 'Not allowed' } }],
        ['POST', '/sessions', { raw: '{', headers: { 'Content-Type': 'application/json' } }],
      ];
      for (const [method, path, options] of attempts) {
        const response = await server.api(method, path, options);
        assertError(response, 403, 'disabled', DISABLED);
      }
      assert.equal(server.server.store.head().position, 1);
    });

    it('still answers /health with effectiveMode disabled', async () => {
      const data = await health(server);
      assert.equal(data.status, 'ok');
      assert.equal(data.configuredMode, 'disabled');
      assert.equal(data.effectiveMode, 'disabled');
    });

    it('still needs the token on /health', async () => {
      const response = await server.api('GET', '/health', { token: null });
      assertError(response, 401, 'unauthorized', 'Provide Authorization: Bearer <token>.');
    });

    it('still needs the token on the other routes (401 before 403)', async () => {
      const response = await server.api('GET', '/sessions', { token: 'wrong-token-wrong-token' });
      assertError(response, 401, 'unauthorized');
    });
  });

  describe('a store that refuses writes (EIO)', () => {
    let server: TestServer;
    let backend: FailingLevelBackend;

    beforeEach(async () => {
      const dataDir = newDataDir();
      backend = new FailingLevelBackend(logDirectory(dataDir));
      server = track(await startTestServer({ probeIntervalMs: 50 }, { dataDir, backend }));
      const seeded = await server.api('POST', '/sessions', { json: { title: 'Written before the failure' } });
      assert.equal(seeded.status, 201, seeded.text);
    });

    it('answers 500 internal_error, drops to read-only, and comes back once writes work', async () => {
      const headBefore = server.server.store.head();
      const healthy = await health(server);
      assert.equal(healthy.effectiveMode, 'full-automation');
      assert.equal('lastError' in healthy, false);

      // Given the disk starts failing
      backend.failing = true;

      // When a client creates a session
      const failed = await server.api('POST', '/sessions', { json: { title: 'Refused by the disk' } });

      // Then it gets the 500 envelope, with no stack trace or internals in it
      assertError(failed, 500, 'internal_error');
      assert.doesNotMatch(failed.text, /\n\s+at |\.ts:\d+|\.js:\d+|node_modules|Error:/);
      // and the failure is logged with the request's id
      const requestId = String(failed.headers['x-request-id']);
      assert.ok(
        server.logs.some((line) => line.includes(requestId) && JSON.parse(line).level === 'error'),
        `no error log line with request id ${requestId}: ${server.logs.join('\n')}`,
      );

      // And concurrent writes during the failure are all refused, none half-written
      const burst = await Promise.all(
        Array.from({ length: 5 }, (_, index) => server.api('POST', '/sessions', { json: { title: `Burst ${index}` } })),
      );
      for (const response of burst) {
        assert.ok(response.status === 500 || response.status === 403, `${response.status} ${response.text}`);
        assertError(response, response.status, response.status === 500 ? 'internal_error' : 'read_only');
      }
      assert.deepEqual(server.server.store.head(), headBefore);

      // And /health says read-only, why, and what was configured
      const degraded = await health(server);
      assert.equal(degraded.configuredMode, 'full-automation');
      assert.equal(degraded.effectiveMode, 'read-only');
      assert.equal(typeof degraded.lastError, 'string');
      assert.ok(degraded.lastError.length > 0);

      // And further writes are refused up front, while reads still work
      assertError(await server.api('POST', '/sessions', { json: { title: 'Also refused' } }), 403, 'read_only', READ_ONLY);
      const list = await server.api('GET', '/sessions');
      assert.equal(list.status, 200, list.text);
      assert.equal(list.body.meta.total, 1);

      // And it stays read-only while the probe keeps failing
      const probesSoFar = backend.probes;
      await eventually(async () => backend.probes, (probes) => probes >= probesSoFar + 3, 'three more probe writes');
      const stillDegraded = await health(server);
      assert.equal(stillDegraded.effectiveMode, 'read-only');
      assert.equal(typeof stillDegraded.lastError, 'string');

      // And the log head did not move
      assert.deepEqual(server.server.store.head(), headBefore);
      assert.equal(stillDegraded.log.position, headBefore.position);

      // When the disk recovers
      backend.failing = false;

      // Then the probe restores full automation and clears lastError
      const recovered = await eventually(
        () => health(server),
        (data) => data.effectiveMode === 'full-automation' && !('lastError' in data),
        'recovery to full-automation',
      );
      assert.equal(recovered.configuredMode, 'full-automation');

      // And writes work again
      const created = await server.api('POST', '/sessions', { json: { title: 'After recovery' } });
      assert.equal(created.status, 201, created.text);
      assert.equal(server.server.store.head().position, headBefore.position + 1);
      assert.equal((await server.api('GET', '/sessions')).body.meta.total, 2);
    });
  });

  describe('free disk space under the floor', () => {
    it('makes the effective mode read-only with a lastError naming disk space', async () => {
      // Given a floor no disk can meet
      const server = track(await startTestServer({ minFreeDiskMb: 1e12 }));

      // Then /health reports read-only and why
      const data = await health(server);
      assert.equal(data.configuredMode, 'full-automation');
      assert.equal(data.effectiveMode, 'read-only');
      assert.match(String(data.lastError), /disk space/i);

      // And writes are refused, reads served
      const before = server.server.store.head().position;
      assertError(await server.api('POST', '/sessions', { json: { title: 'No room' } }), 403, 'read_only', READ_ONLY);
      assert.equal(server.server.store.head().position, before);
      assert.equal((await server.api('GET', '/sessions')).status, 200);
    });

    it('keeps full automation with a floor the disk meets', async () => {
      const server = track(await startTestServer({ minFreeDiskMb: 0 }));
      const data = await health(server);
      assert.equal(data.effectiveMode, 'full-automation');
      assert.equal('lastError' in data, false);
      assert.equal((await server.api('POST', '/sessions', { json: { title: 'Room enough' } })).status, 201);
    });
  });
});
