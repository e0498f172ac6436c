import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, DEFAULT_HOST, DEFAULT_PORT, loadConfig } from '../../src/config';
import { newDataDir } from '../helpers/server';

describe('configuration layers', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = newDataDir();
  });

  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const writeFile = (settings: object) => writeFileSync(join(dataDir, 'config.json'), JSON.stringify(settings));

  it('uses the defaults when nothing is set', () => {
    const config = loadConfig({ flags: { dataDir }, env: {} });
    assert.equal(config.host, DEFAULT_HOST);
    assert.equal(config.port, DEFAULT_PORT);
    assert.equal(config.mode, 'full-automation');
    assert.equal(config.tokenFile, join(dataDir, 'token'));
    assert.equal(config.token, undefined);
    assert.deepEqual(config.allowedOrigins, []);
  });

  it('takes flags over the environment over config.json over defaults', () => {
    writeFile({ mode: 'read-only', port: 1111, allowedOrigins: ['http://app.example'] });
    const env = { SESSIONDOCK_MODE: 'disabled', SESSIONDOCK_PORT: '2222' };
    assert.deepEqual(pick(loadConfig({ flags: { dataDir }, env: {} })), { mode: 'read-only', port: 1111 });
    assert.deepEqual(pick(loadConfig({ flags: { dataDir }, env })), { mode: 'disabled', port: 2222 });
    assert.deepEqual(pick(loadConfig({ flags: { dataDir, mode: 'full-automation', port: '0' }, env })), { mode: 'full-automation', port: 0 });
    assert.deepEqual(loadConfig({ flags: { dataDir }, env }).allowedOrigins, ['http://app.example']);
  });

  it('finds the data dir from the environment and reads its config.json', () => {
    writeFile({ port: 3333 });
    const config = loadConfig({ flags: {}, env: { SESSIONDOCK_DATA_DIR: dataDir } });
    assert.equal(config.dataDir, dataDir);
    assert.equal(config.port, 3333);
  });

  it('takes SESSIONDOCK_TOKEN and refuses a short one', () => {
    assert.equal(loadConfig({ flags: { dataDir }, env: { SESSIONDOCK_TOKEN: 'x'.repeat(32) } }).token, 'x'.repeat(32));
    assert.throws(() => loadConfig({ flags: { dataDir }, env: { SESSIONDOCK_TOKEN: 'short' } }), /token \(from environment\) must NOT have fewer than 16 characters/);
  });

  it('takes the opener from --opener, SESSIONDOCK_OPENER or config.json, else null (the platform default)', () => {
    assert.equal(loadConfig({ flags: { dataDir }, env: {} }).opener, null);
    writeFile({ opener: '/usr/bin/from-file' });
    assert.equal(loadConfig({ flags: { dataDir }, env: {} }).opener, '/usr/bin/from-file');
    const env = { SESSIONDOCK_OPENER: 'from-env' };
    assert.equal(loadConfig({ flags: { dataDir }, env }).opener, 'from-env');
    assert.equal(loadConfig({ flags: { dataDir, opener: '/opt/from-flag' }, env }).opener, '/opt/from-flag');
    writeFile({ opener: null });
    assert.equal(loadConfig({ flags: { dataDir }, env: {} }).opener, null);
    writeFile({ opener: '' });
    assert.throws(() => loadConfig({ flags: { dataDir }, env: {} }), /opener \(from .*config\.json\) must NOT have fewer than 1 characters/);
  });

  it('refuses unknown settings, invalid JSON and a token or data dir in config.json', () => {
    writeFile({ colour: 'red' });
    assert.throws(() => loadConfig({ flags: { dataDir }, env: {} }), (error: Error) => error instanceof ConfigError && /colour .*is not a known setting/.test(error.message));
    writeFileSync(join(dataDir, 'config.json'), '{');
    assert.throws(() => loadConfig({ flags: { dataDir }, env: {} }), /is not valid JSON/);
    writeFile({ token: 'x'.repeat(32) });
    assert.throws(() => loadConfig({ flags: { dataDir }, env: {} }), /token cannot be set in/);
    writeFile([1]);
    assert.throws(() => loadConfig({ flags: { dataDir }, env: {} }), /must hold a JSON object/);
  });
});

const pick = ({ mode, port }: { mode: string; port: number }) => ({ mode, port });
