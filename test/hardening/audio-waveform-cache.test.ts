import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sine, tempAudioDir, writeWav, type AudioDir } from '../helpers/audio';
import { eventually } from '../helpers/eventually';
import { assertHealthWithin, assertLogKeeps, assertMemoryUnder, idleHealthMs, rssBytes, slowestHealthDuring } from '../helpers/hardening';
import { newDataDir, startTestServer, type TestServer } from '../helpers/server';

/*
 * Issue 17, finding 12: the waveform cache under <data-dir>/waveforms grew without bound (122 MB in
 * 10 s of distinct `points`), and was keyed by the path's spelling. Now it is capped (waveformCacheMb,
 * least recently used entries removed first) and keyed by the file's identity.
 */
describe('hardening: the waveform cache (finding 12)', function () {
  this.timeout(120_000);

  const CAP_MB = 0.25;
  const capBytes = CAP_MB * 1024 * 1024;

  let dataDir: string;
  let audio: AudioDir;
  let server: TestServer | undefined;

  beforeEach(() => {
    dataDir = newDataDir();
    audio = tempAudioDir('sessiondock-cache-');
  });

  afterEach(async () => {
    await server?.dispose();
    server = undefined;
    audio.cleanup();
  });

  const cacheEntries = () => {
    const directory = join(dataDir, 'waveforms');
    return readdirSync(directory)
      .filter((name) => /^[0-9a-f]{64}\.json$/.test(name))
      .map((name) => ({ name, bytes: statSync(join(directory, name)).size }));
  };
  const cacheBytes = () => cacheEntries().reduce((total, entry) => total + entry.bytes, 0);

  const sessionWith = async (running: TestServer, paths: string[]) => {
    const created = await running.api('POST', '/sessions', { json: { title: 'Cached waveforms' } });
    assert.equal(created.status, 201, created.text);
    const sessionId = created.body.data.id as string;
    const variantIds: string[] = [];
    for (const [i, path] of paths.entries()) {
      const attached = await running.api('POST', `/sessions/${sessionId}/previews`, { json: { path, id: `preview_${i}` } });
      assert.equal(attached.status, 201, attached.text);
      variantIds.push(`preview_${i}`);
    }
    await eventually(
      async () => (await running.api('GET', `/sessions/${sessionId}/preview`)).body.data.previews.map((variant: { status: string }) => variant.status),
      (statuses: string[]) => statuses.every((status) => status !== 'pending'),
      'the analyses finishing',
    );
    return { sessionId, variantIds };
  };

  it('given many distinct `points` requests, then the cache on disk stays under its cap, the latest entries are kept, and /health stays fast', async () => {
    server = await startTestServer({ waveformCacheMb: CAP_MB }, { dataDir });
    const running = server;
    const { sessionId } = await sessionWith(running, [writeWav(audio.file('long.wav'), sine({ durationS: 2 }))]);
    const idleMs = await idleHealthMs(running);
    const rssBefore = rssBytes();

    // When 120 distinct resolutions are asked for (about 2.5 MB of entries uncapped)
    const pointsValues = Array.from({ length: 120 }, (_, i) => 2000 + 61 * i);
    const requests = (async () => {
      for (let at = 0; at < pointsValues.length; at += 4) {
        const answers = await Promise.all(pointsValues.slice(at, at + 4).map((points) => running.api('GET', `/sessions/${sessionId}/waveform?points=${points}`)));
        for (const answer of answers) assert.equal(answer.status, 200, answer.text);
        assert.ok(cacheBytes() <= capBytes, `the cache holds ${cacheBytes()} bytes, cap ${capBytes}`);
      }
    })();
    const { slowestMs } = await slowestHealthDuring(running, requests);

    // Then it never went over its cap, and it holds the most recent entries
    const entries = cacheEntries();
    assert.ok(cacheBytes() <= capBytes, `the cache holds ${cacheBytes()} bytes, cap ${capBytes}`);
    assert.ok(entries.length >= 3, `only ${entries.length} entries kept`);
    const last = await running.api('GET', `/sessions/${sessionId}/waveform?points=${pointsValues.at(-1)}`);
    assert.equal(last.status, 200);
    assert.equal(cacheEntries().length, entries.length, 'the most recent entry was served from the cache, not recomputed');
    assertHealthWithin(slowestMs, idleMs);
    assertMemoryUnder(rssBytes() - rssBefore, 150, 'RSS growth of the test process (server in-process)');

    // And a restart with a lower cap evicts down to it
    await running.stop();
    server = await startTestServer({ waveformCacheMb: CAP_MB / 4 }, { dataDir });
    assert.equal((await server.api('GET', `/sessions/${sessionId}/waveform?points=${pointsValues.at(-1)}`)).status, 200);
    assert.ok(cacheBytes() <= capBytes / 4, `after the restart the cache holds ${cacheBytes()} bytes, cap ${capBytes / 4}`);
    await server.stop();
    await assertLogKeeps(dataDir, [sessionId]);
  });

  it('given one file attached under two spellings of its path, then both variants share one cache entry per `points`', async () => {
    server = await startTestServer({}, { dataDir });
    const path = writeWav(audio.file('spelled/twice.wav'), sine({ durationS: 0.5 }));
    const otherSpelling = `${dirname(path)}/./twice.wav`;
    const { sessionId, variantIds } = await sessionWith(server, [path, otherSpelling]);
    const before = cacheEntries().length;

    const answers = await Promise.all(variantIds.map((variantId) => server!.api('GET', `/sessions/${sessionId}/waveform?points=321&variantId=${variantId}`)));

    for (const answer of answers) assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answers[0].body.data.peaks, answers[1].body.data.peaks);
    assert.equal(cacheEntries().length, before + 1, 'one entry for both spellings');
    await server.stop();
    await assertLogKeeps(dataDir, [sessionId]);
  });
});
