import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { newDataDir } from '../helpers/server';

describe('settings for the memory kept per write', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = newDataDir();
  });

  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const load = (settings: object) => {
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify(settings));
    return loadConfig({ flags: { dataDir }, env: {} });
  };

  it('given nothing set, then 10,000 cached stream versions and 200,000 idempotency keys', () => {
    const config = load({});
    assert.equal(config.cachedStreamVersions, 10_000);
    assert.equal(config.maxIdempotencyKeys, 200_000);
  });

  it('given values in config.json, then they are used', () => {
    const config = load({ cachedStreamVersions: 50_000, maxIdempotencyKeys: 1000 });
    assert.deepEqual([config.cachedStreamVersions, config.maxIdempotencyKeys], [50_000, 1000]);
  });

  for (const [key, value] of [['cachedStreamVersions', 0], ['maxIdempotencyKeys', 0], ['cachedStreamVersions', 2.5], ['maxIdempotencyKeys', 'many']] as const) {
    it(`refuses ${key} ${JSON.stringify(value)}, naming the setting and the file`, () => {
      assert.throws(
        () => load({ [key]: value }),
        (error: unknown) => error instanceof ConfigError && error.message.startsWith(`invalid configuration: ${key} (from ${join(dataDir, 'config.json')})`),
      );
    });
  }
});
