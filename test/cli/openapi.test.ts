import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { DEFAULT_PORT } from '../../src/config';
import { httpCall } from '../helpers/http';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/process';
import { newDataDir } from '../helpers/server';

describe('sessiondock openapi (npm run openapi) and the running server (real processes)', () => {
  let dataDir: string;
  let server: ServerProcess;
  let served: any;

  before(async () => {
    dataDir = newDataDir();
    server = await startServerProcess(['--port', '0', '--data-dir', dataDir]);
    const response = await httpCall(`${server.origin}/openapi.json`, 'GET');
    assert.equal(response.status, 200, response.text);
    served = response.body;
  });

  after(async () => {
    await server.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes, without a server, exactly the document a server on that port serves at /openapi.json', async () => {
    const port = new URL(server.origin).port;
    const { code, stdout, stderr } = await runCli(['openapi', '--port', port]);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    assert.deepEqual(JSON.parse(stdout), served);
  });

  it('describes a server on the default port without --port, and nothing else differs', async () => {
    const { code, stdout, stderr } = await runCli(['openapi']);
    assert.equal(code, 0, stderr);
    const written = JSON.parse(stdout);
    assert.deepEqual(written.servers, [{ url: `http://127.0.0.1:${DEFAULT_PORT}` }]);
    assert.deepEqual({ ...written, servers: served.servers }, served);
  });
});
