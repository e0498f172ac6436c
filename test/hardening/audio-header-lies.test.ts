import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempAudioDir, type AudioDir } from '../helpers/audio';
import {
  attach,
  createSession,
  failureReasons,
  peakRssDuring,
  settledStatus,
  startAudioServer,
  timedStop,
  variantStatus,
  type AudioServer,
} from '../helpers/audio-hardening';
import { eventually } from '../helpers/eventually';
import { assertHealthWithin, assertLogKeeps, assertMemoryUnder, idleHealthMs, slowestHealthDuring } from '../helpers/hardening';
import { flacWithUnknownLength, mp3WithXingFrames, writeSparseRiff } from '../helpers/lying-audio';
import { newDataDir } from '../helpers/server';

/**
 * A decoding worker shares the machine's cores with the server's event loop (and, on the shared
 * test machine, with other suites): the floor is higher than the helper's default, still far below
 * the seconds a blocked loop or a dying process showed.
 */
const DECODING_HEALTH_BOUND = { factor: 20, floorMs: 750 };
import { PeakAccumulator } from '../../src/audio/peaks';

/*
 * Issue 17, finding 1: an audio header that understates the length (FLAC total_samples 0, an MP3
 * whose Xing count is 1) made the peak accumulator push a bucket per frame: 2.3 GB in 2 s, a
 * fatal error, and the same at every restart. Against a real server process: it stays up, its
 * memory stays bounded, the variants end ready with the real duration, and a file whose analysis
 * was in flight when a process died is recorded failed at the next start, not analysed again.
 */
describe('hardening: audio headers that understate the length (finding 1)', function () {
  this.timeout(120_000);

  /** The fixtures are 3 s sines; the lying headers must not change what is measured. */
  const FIXTURE_MS = 3000;
  const RSS_BOUND_MB = 400;

  let dataDir: string;
  let audio: AudioDir;
  let server: AudioServer | undefined;

  beforeEach(() => {
    dataDir = newDataDir();
    audio = tempAudioDir('sessiondock-lies-');
  });

  afterEach(async () => {
    if (server && server.process.child.exitCode === null) await server.process.stop('SIGKILL');
    server = undefined;
    rmSync(dataDir, { recursive: true, force: true });
    audio.cleanup();
  });

  it('given a FLAC with total_samples 0 and an MP3 with a Xing count of 1, when attached, then the server stays up, bounded, and both end ready with their real duration', async () => {
    server = await startAudioServer(dataDir);
    const running = server;
    const idleMs = await idleHealthMs(running);
    const flac = audio.file('unknown-length.flac');
    const mp3 = audio.file('xing-one.mp3');
    writeFileSync(flac, flacWithUnknownLength());
    writeFileSync(mp3, mp3WithXingFrames(1));
    const sessionIds = [await createSession(running, 'FLAC with unknown length'), await createSession(running, 'MP3 whose Xing count is 1')];

    // When both are attached and analysed
    const work = (async () => {
      const variants = [await attach(running, sessionIds[0], flac), await attach(running, sessionIds[1], mp3)];
      return Promise.all(variants.map(async (variantId, i) => ({ variantId, status: await settledStatus(running, sessionIds[i], variantId) })));
    })();
    const { result: probed, peakBytes } = await peakRssDuring(running.process.child.pid!, slowestHealthDuring(running, work));

    // Then both are ready, with the duration the audio has (not the header's)
    assert.deepEqual(probed.result.map(({ status }) => status), ['ready', 'ready']);
    for (const sessionId of sessionIds) {
      const waveform = await running.api('GET', `/sessions/${sessionId}/waveform`);
      assert.equal(waveform.status, 200, waveform.text);
      assert.ok(Math.abs(waveform.body.data.durationMs - FIXTURE_MS) <= 100, `durationMs ${waveform.body.data.durationMs}`);
      assert.equal(waveform.body.data.peaks.length, 1000);
      assert.ok(waveform.body.data.peaks.filter((peak: number) => peak > 0.4).length >= 990, 'the peaks cover the whole file');
    }
    // And the process stayed up and small, and /health answered throughout
    assert.equal(running.process.child.exitCode, null);
    assertMemoryUnder(peakBytes, RSS_BOUND_MB, 'server RSS while analysing');
    assertHealthWithin(probed.slowestMs, idleMs, DECODING_HEALTH_BOUND);

    const stopped = await timedStop(running);
    assert.equal(stopped.code, 0, running.process.stderr());
    await assertLogKeeps(dataDir, sessionIds);
  });

  it('given an analysis in flight when the process is killed, when the server restarts (twice), then the variant is recorded failed, not analysed again, and the server stays up', async () => {
    // Given a server analysing a file that takes long (a sparse WAV claiming 4 GB of 8-bit samples)
    server = await startAudioServer(dataDir, { analysisTimeoutMs: 600_000 });
    const first = server;
    const slow = audio.file('slow.wav');
    writeSparseRiff(slow, 'huge-data', [2 ** 33, 2 ** 32 + 64]);
    const good = audio.file('good.flac');
    writeFileSync(good, flacWithUnknownLength());
    const sessionIds = [await createSession(first, 'Killed mid-analysis'), await createSession(first, 'Analysed before the kill')];
    const goodVariant = await attach(first, sessionIds[1], good);
    assert.equal(await settledStatus(first, sessionIds[1], goodVariant), 'ready');
    const slowVariant = await attach(first, sessionIds[0], slow);
    const journal = join(dataDir, 'waveforms', 'in-flight.json');
    await eventually(
      async () => (existsSync(journal) ? (JSON.parse(readFileSync(journal, 'utf8')) as { inFlight: unknown[] }).inFlight.length : 0),
      (inFlight) => inFlight === 1,
      'the analysis being noted in flight',
      10_000,
    );

    // When the process dies mid-analysis (as an out-of-memory kill would end it)
    await first.process.stop('SIGKILL');

    // Then the next start records the variant failed instead of analysing it again, and stays up
    server = await startAudioServer(dataDir, { analysisTimeoutMs: 600_000 });
    const second = server;
    const idleMs = await idleHealthMs(second);
    const { result: status, slowestMs } = await slowestHealthDuring(second, settledStatus(second, sessionIds[0], slowVariant, 10_000));
    assert.equal(status, 'failed');
    assert.match((await failureReasons(second, sessionIds[0]))[slowVariant], /stopped the server before/);
    assert.equal(await variantStatus(second, sessionIds[1], goodVariant), 'ready');
    assertHealthWithin(slowestMs, idleMs, DECODING_HEALTH_BOUND);
    const journalAfter = JSON.parse(readFileSync(journal, 'utf8')) as { inFlight: unknown[]; crashed: unknown[] };
    assert.deepEqual([journalAfter.inFlight.length, journalAfter.crashed.length], [0, 1]);

    // And a further restart leaves it so: no analysis starts, nothing is in flight, the status is settled
    assert.equal((await timedStop(second)).code, 0, second.process.stderr());
    server = await startAudioServer(dataDir, { analysisTimeoutMs: 600_000 });
    const third = server;
    assert.equal(await variantStatus(third, sessionIds[0], slowVariant), 'failed');
    const waveform = await third.api('GET', `/sessions/${sessionIds[0]}/waveform`);
    assert.equal(waveform.status, 422, waveform.text);
    assert.equal(waveform.body.error.code, 'unsupported_audio');
    assert.equal((JSON.parse(readFileSync(journal, 'utf8')) as { inFlight: unknown[] }).inFlight.length, 0);
    assert.equal(third.process.child.exitCode, null);

    const stopped = await timedStop(third);
    assert.equal(stopped.code, 0, third.process.stderr());
    await assertLogKeeps(dataDir, sessionIds);
  });
});

describe('hardening: the peak accumulator whatever the header says (finding 1)', () => {
  /** Feeds `frames` frames in runs of at most `block` (as a decoder does), the peak rising with the frame. */
  function fold(accumulator: PeakAccumulator, frames: number, block: number): number[] {
    for (let frame = 0; frame < frames; ) {
      const end = Math.min(frames, frame + block);
      while (frame < end) {
        const run = Math.min(accumulator.room(), end - frame);
        accumulator.add((frame + run) / frames, run);
        frame += run;
      }
    }
    return accumulator.peaks();
  }

  for (const estimate of [0, 1, 1152, 2 ** 60, Number.NaN]) {
    it(`given a header estimate of ${estimate} frames and 5 million real ones, then the work is bounded and every bucket is right`, () => {
      const accumulator = new PeakAccumulator(estimate, 1000, 8);
      const started = performance.now();
      const peaks = fold(accumulator, 5_000_000, 4608);
      const elapsedMs = performance.now() - started;
      assert.equal(accumulator.frameCount(), 5_000_000);
      assert.equal(peaks.length, 1000);
      // A rising ramp: bucket i's peak is its last frame's, (i + 1) / 1000, to within a fine bucket.
      if (!accumulator.tooCoarse()) for (const [i, peak] of peaks.entries()) assert.ok(Math.abs(peak - (i + 1) / 1000) <= 0.0011, `bucket ${i}: ${peak}`);
      assert.ok(elapsedMs < 5000, `${elapsedMs} ms`);
    });
  }

  it('given an estimate far above the real length, then it says the peaks are too coarse (the analyser decodes again knowing the length)', () => {
    const accumulator = new PeakAccumulator(2 ** 40, 1000, 8);
    fold(accumulator, 100_000, 4608);
    assert.equal(accumulator.tooCoarse(), true);
    const exact = new PeakAccumulator(100_000, 1000, 8);
    fold(exact, 100_000, 4608);
    assert.equal(exact.tooCoarse(), false);
  });
});
