import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LOCK_FILE } from '../../src/files/data-dir-lock';
import { assertLogKeeps } from '../helpers/hardening';
import { startTestServer } from '../helpers/server';

/*
 * One part of the shutdown that fails (here the analysis journal cannot be written, as on a full or
 * failing disk) must not skip the parts after it: the log still closes and the lock is released.
 */
describe('hardening: a shutdown step that fails', function () {
  this.timeout(30_000);

  it('still closes the log and releases the data-dir lock, logs the failure, and reports it', async () => {
    const server = await startTestServer();
    const created = await server.api('POST', '/sessions', { json: { title: 'Kept' } });
    assert.equal(created.status, 201, created.text);
    // A directory where the journal's temporary file goes: the write fails, even for root.
    mkdirSync(join(server.dataDir, 'waveforms', 'in-flight.json.tmp'), { recursive: true });

    const closing = await server.server.close().then(() => null, (error: Error) => error);
    assert.match(String(closing), /EISDIR/);

    assert.equal(existsSync(join(server.dataDir, LOCK_FILE)), false, 'the data-dir lock is released');
    await assert.rejects(server.server.store.readStream(created.body.data.id), /closed/i, 'the log is closed');
    assert.ok(server.logs.some((line) => JSON.parse(line).message === 'a part of the server did not stop cleanly'));
    await assertLogKeeps(server.dataDir, [created.body.data.id]);
    // close() keeps answering with the failure it had; the data directory is removed by hand.
    await assert.rejects(server.server.close(), (error: Error) => error === closing);
    rmSync(server.dataDir, { recursive: true, force: true });
  });
});
