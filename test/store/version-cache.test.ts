import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EventLog, LevelBackend, MemoryBackend, StoreError, type AppendResult, type LogBackend, type LogHead, type SerializedEvent } from '../../src/store';
import { StreamVersions } from '../../src/store/stream-versions';
import { CountingReads, meta, sessionCreated } from './fixtures';

/**
 * A backend whose armed read of `streamId`'s version answers late: once a write of that stream is
 * done, or after `turns` turns of the event loop. Its writes can be held until `release()`.
 */
class LateFirstRead extends CountingReads {
  private held = false;
  private written: () => void = () => undefined;
  /** Resolves once the held read has begun. */
  readonly reading: Promise<void>;
  private began!: () => void;

  constructor(inner: LogBackend, private readonly streamId: string, private readonly turns = 200) {
    super(inner);
    this.reading = new Promise((resolve) => (this.began = resolve));
  }

  private writeGate: Promise<void> | null = null;
  private openGate: () => void = () => undefined;

  arm(): void {
    this.held = true;
  }

  holdWrites(): void {
    this.writeGate = new Promise((resolve) => (this.openGate = resolve));
  }

  release(): void {
    this.writeGate = null;
    this.openGate();
  }

  override async streamVersions(streamIds: readonly string[]): Promise<number[]> {
    const versions = await super.streamVersions(streamIds);
    if (this.held && streamIds.includes(this.streamId)) {
      this.held = false;
      this.began();
      // Read now, answered late: by then a commit may have made a newer version.
      await new Promise<void>((resolve) => {
        this.written = resolve;
        let left = this.turns;
        const tick = () => (--left <= 0 ? resolve() : setImmediate(tick));
        setImmediate(tick);
      });
    }
    return versions;
  }

  override async write(events: readonly SerializedEvent[], streamVersions: ReadonlyMap<string, number>, head: LogHead): Promise<void> {
    if (this.writeGate) await this.writeGate;
    await super.write(events, streamVersions, head);
    if (streamVersions.has(this.streamId)) this.written();
  }
}

const backends: Array<[string, () => { backend: () => LogBackend; dispose(): void }]> = [
  ['memory', () => ({ backend: () => new MemoryBackend(), dispose() {} })],
  [
    'LevelDB',
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessiondock-versions-'));
      return { backend: () => new LevelBackend(dir), dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
    },
  ],
];

const streamOf = (index: number) => `session-${index}`;

async function conflictOf(attempt: Promise<AppendResult>): Promise<StoreError> {
  const error = await attempt.then(
    () => assert.fail('expected STORE_VERSION_CONFLICT, but the append went through'),
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof StoreError && error.code === 'STORE_VERSION_CONFLICT', `expected STORE_VERSION_CONFLICT, got ${String(error)}`);
  return error;
}

for (const [name, storage] of backends) {
  describe(`EventLog stream version cache: ${name}`, function () {
    let under: ReturnType<typeof storage>;
    const opened: EventLog[] = [];
    const open = async (backend: LogBackend, maxCachedStreamVersions: number) => {
      const log = await EventLog.open(backend, { maxCachedStreamVersions });
      opened.push(log);
      return log;
    };

    beforeEach(function () {
      under = storage();
    });

    afterEach(async function () {
      try {
        await Promise.all(opened.splice(0).map((log) => log.close()));
      } finally {
        under.dispose();
      }
    });

    it('given a cap of 4 and 60 streams, answers every expected version of a forgotten stream as the log holds it', async function () {
      const backend = new CountingReads(under.backend());
      const log = await open(backend, 4);
      for (let index = 0; index < 60; index += 1) await log.append(streamOf(index), 0, [sessionCreated()], meta());
      for (let index = 0; index < 60; index += 3) await log.append(streamOf(index), 1, [sessionCreated()], meta());

      for (let index = 0; index < 60; index += 1) {
        const version = index % 3 === 0 ? 2 : 1;
        const error = await conflictOf(log.append(streamOf(index), version - 1, [sessionCreated()], meta()));
        assert.deepEqual(error.details, { streamId: streamOf(index), expectedVersion: version - 1, actualVersion: version });
        await conflictOf(log.append(streamOf(index), 0, [sessionCreated()], meta()));
        assert.equal((await log.append(streamOf(index), version, [sessionCreated()], meta())).version, version + 1);
        assert.equal(await log.streamVersion(streamOf(index)), version + 1);
      }
      assert.ok(backend.versionReads.length > 60, `forgotten versions are read again (${backend.versionReads.length} reads)`);
    });

    it('refuses expected version 0 on a forgotten stream even after every version was read in advance', async function () {
      const log = await open(under.backend(), 3);
      await log.append(streamOf(0), 0, [sessionCreated()], meta());
      await log.learnAllVersions();
      for (let index = 1; index <= 10; index += 1) await log.append(streamOf(index), 0, [sessionCreated()], meta());

      const error = await conflictOf(log.append(streamOf(0), 0, [sessionCreated()], meta()));
      assert.equal(error.details.actualVersion, 1);
      assert.equal(await log.streamVersion(streamOf(0)), 1);
      assert.equal(await log.streamVersion('session-never'), 0);
    });

    // A reopened log: only LevelDB keeps what a closed log wrote.
    if (name === 'LevelDB') it('stops reading every version in advance at the cap, so new streams are read, not assumed empty', async function () {
      const first = await open(under.backend(), 1000);
      for (let index = 0; index < 12; index += 1) await first.append(streamOf(index), 0, [sessionCreated()], meta());
      await first.close();

      const backend = new CountingReads(under.backend());
      const log = await open(backend, 5);
      await log.learnAllVersions();
      for (let index = 0; index < 12; index += 1) await conflictOf(log.append(streamOf(index), 0, [sessionCreated()], meta()));
      assert.equal((await log.append('session-new', 0, [sessionCreated()], meta())).version, 1);
      assert.ok(backend.versionReads.some((ids) => ids.includes('session-new')), 'the new stream\'s version was read');
    });

    it('lets exactly one of 20 concurrent appends with the same expected version through while 20 other streams are forgotten, round after round', async function () {
      const log = await open(under.backend(), 2);
      await log.append('session-hot', 0, [sessionCreated()], meta());
      for (let round = 1; round <= 8; round += 1) {
        const contenders = Array.from({ length: 20 }, () => log.append('session-hot', round, [sessionCreated()], meta()));
        const others = Array.from({ length: 20 }, (_, index) => log.append(streamOf(round * 100 + index), 0, [sessionCreated()], meta()));
        const outcomes = await Promise.allSettled(contenders);
        await Promise.all(others);
        assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 1, `round ${round}: one winner`);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') assert.equal((outcome.reason as StoreError).details.actualVersion, round + 1);
        }
      }
      assert.equal(await log.streamVersion('session-hot'), 9);
      const events = await log.readStream('session-hot');
      assert.deepEqual(events.map((event) => event.version), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('never keeps a version read before a commit of its stream that was then forgotten', async function () {
      const backend = new LateFirstRead(under.backend(), 'session-s');
      const log = await open(backend, 1);
      await log.append('session-s', 0, [sessionCreated()], meta());
      await log.append('session-t', 0, [sessionCreated()], meta());

      // While a batch is being written, the read of session-s's version (1) begins and answers late;
      // another stream's append joins the same next batch, with a read of its own.
      backend.holdWrites();
      const writing = log.append('session-w', 'any', [sessionCreated()], meta());
      backend.arm();
      const first = log.append('session-s', 1, [sessionCreated()], meta());
      await backend.reading;
      const other = log.append('session-x', 0, [sessionCreated()], meta());
      backend.release();
      await writing;
      assert.deepEqual([(await first).version, (await other).version], [2, 1]);

      assert.equal((await log.append('session-s', 2, [sessionCreated()], meta())).version, 3);
      assert.deepEqual((await log.readStream('session-s')).map((event) => event.version), [1, 2, 3]);
    });
  });
}

describe('StreamVersions', function () {
  it('given more versions than its capacity, forgets the least recently written first, never a pinned one', function () {
    const versions = new StreamVersions(3);
    for (const [streamId, version] of [['a', 1], ['b', 1], ['c', 1], ['d', 1]] as const) versions.written(streamId, version);
    versions.written('a', 2);
    versions.fillIn('e', 4);
    versions.trim((streamId) => streamId === 'b');

    assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map((streamId) => versions.get(streamId)), [2, 1, undefined, undefined, 4]);
    assert.equal(versions.hasForgotten, true);
  });

  it('keeps a written version over one filled in later, and forgets nothing within its capacity', function () {
    const versions = new StreamVersions(2);
    versions.written('a', 5);
    versions.fillIn('a', 3);
    versions.trim(() => false);
    assert.equal(versions.get('a'), 5);
    assert.equal(versions.hasForgotten, false);
  });

  it('refuses a capacity under 1', function () {
    assert.throws(() => new StreamVersions(0), /at least 1, not 0/);
  });
});
