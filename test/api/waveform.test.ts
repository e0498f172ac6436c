import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { assertError } from '../helpers/assertions';
import {
  dataCutWav,
  encodeWav,
  fixturePath,
  garbageFlac,
  garbageWav,
  headerCutWav,
  listInfoChunk,
  randomNotMagic,
  silenceThenBurst,
  sine,
  tempAudioDir,
  writeAiff,
  writeWav,
  type AudioDir,
  type Channels,
  type WavEncoding,
} from '../helpers/audio';
import { eventually } from '../helpers/eventually';
import { newDataDir, startTestServer, type TestServer } from '../helpers/server';
import { recordingOpens } from '../helpers/open-spy';

/*
 * Waveforms: GET /sessions/{id}/waveform?variantId=&points= (contract §6): peaks computed from the real
 * audio of every format the contract names, the bucket rule, points validation, 404 without a variant,
 * 422 unsupported_audio for files that cannot be decoded, and the on-disk cache keyed by file identity.
 */

type Json = Record<string, any>;

const UNKNOWN_ID = 'session_01ARZ3NDEKTSV4RRFFQ69G5FAV';
const WAVEFORM_KEYS = ['channels', 'durationMs', 'peaks', 'points', 'sampleRate', 'sessionId', 'variantId'];
const PEAK = 0.5;
const PEAK_TOLERANCE = 0.02;

const max = (values: number[]) => values.reduce((a, b) => Math.max(a, b), -Infinity);
const min = (values: number[]) => values.reduce((a, b) => Math.min(a, b), Infinity);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The shape every waveform answer has: keys, points, peaks in [0, 1]. */
function assertWaveformShape(data: Json, sessionId: string, variantId: string, points: number): void {
  assert.deepEqual(Object.keys(data).sort(), WAVEFORM_KEYS);
  assert.equal(data.sessionId, sessionId);
  assert.equal(data.variantId, variantId);
  assert.equal(data.points, points);
  assert.ok(Array.isArray(data.peaks), 'peaks is not an array');
  assert.equal(data.peaks.length, points);
  for (const [index, peak] of data.peaks.entries()) {
    assert.ok(typeof peak === 'number' && peak >= 0 && peak <= 1, `peaks[${index}] = ${peak} is not a number in [0, 1]`);
  }
  assert.ok(Number.isInteger(data.sampleRate) && data.sampleRate > 0, `sampleRate ${data.sampleRate}`);
  assert.ok(Number.isInteger(data.channels) && data.channels > 0, `channels ${data.channels}`);
  assert.equal(typeof data.durationMs, 'number');
}

const assertWithin = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${expected} ± ${tolerance}`);

interface AcceptanceCase {
  name: string;
  /** Writes (or finds) the file; returns its absolute path. */
  file: (audio: AudioDir) => string;
  channels: number;
  /** Accepted durationMs range. */
  durationMs: [number, number];
  /** Lossless: every bucket of a 100-point waveform holds a crest of the sine. */
  lossless: boolean;
}

const onePercent = (ms: number): [number, number] => [ms * 0.99, ms * 1.01];

const wavCase = (name: string, encoding: WavEncoding, { channels = 1, extensible = false, extra = false, durationS = 3 } = {}): AcceptanceCase => ({
  name,
  file: (audio) =>
    writeWav(audio.file(`acceptance/${name.replace(/[^a-z0-9]+/gi, '-')}.wav`), sine({ durationS, channels }), {
      encoding,
      extensible,
      extraChunks: extra ? [listInfoChunk()] : [],
    }),
  channels,
  durationMs: onePercent(durationS * 1000),
  lossless: true,
});

const acceptance: AcceptanceCase[] = [
  wavCase('WAV 16-bit mono', 'pcm16'),
  wavCase('WAV 24-bit mono', 'pcm24'),
  wavCase('WAV 32-bit float mono', 'float32'),
  wavCase('WAV 8-bit (unsigned) mono', 'pcm8', { durationS: 1 }),
  wavCase('WAV 32-bit integer mono', 'pcm32', { durationS: 1 }),
  wavCase('WAV 16-bit stereo with a LIST chunk before data', 'pcm16', { channels: 2, extra: true, durationS: 1 }),
  wavCase('WAV 24-bit stereo', 'pcm24', { channels: 2, durationS: 1 }),
  wavCase('WAVE_FORMAT_EXTENSIBLE 16-bit mono', 'pcm16', { extensible: true, durationS: 1 }),
  wavCase('WAVE_FORMAT_EXTENSIBLE 24-bit stereo', 'pcm24', { extensible: true, channels: 2, durationS: 1 }),
  wavCase('WAVE_FORMAT_EXTENSIBLE 32-bit float stereo', 'float32', { extensible: true, channels: 2, durationS: 1 }),
  {
    name: 'AIFF 16-bit mono (written by the tests)',
    file: (audio) => writeAiff(audio.file('acceptance/aiff-16.aiff'), sine({ durationS: 3 })),
    channels: 1,
    durationMs: onePercent(3000),
    lossless: true,
  },
  {
    name: 'AIFF 24-bit stereo (written by the tests)',
    file: (audio) => writeAiff(audio.file('acceptance/aiff-24.aiff'), sine({ durationS: 1, channels: 2 }), { bits: 24 }),
    channels: 2,
    durationMs: onePercent(1000),
    lossless: true,
  },
  { name: 'AIFF 16-bit mono (sox, COMT chunk first)', file: () => fixturePath('sine-440-mono-16.aiff'), channels: 1, durationMs: onePercent(1500), lossless: true },
  { name: 'AIFF 24-bit stereo (sox)', file: () => fixturePath('sine-440-stereo-24.aiff'), channels: 2, durationMs: onePercent(500), lossless: true },
  { name: 'FLAC 16-bit mono (sox)', file: () => fixturePath('sine-440.flac'), channels: 1, durationMs: onePercent(3000), lossless: true },
  // Its LAME tag gives the encoder delay and padding, which the decoder trims (see the fixtures' README).
  { name: 'MP3 320 kbit/s mono (LAME, gapless tag)', file: () => fixturePath('sine-440.mp3'), channels: 1, durationMs: onePercent(3000), lossless: false },
  { name: 'Ogg Vorbis mono (sox)', file: () => fixturePath('sine-440.ogg'), channels: 1, durationMs: onePercent(3000), lossless: false },
];

describe('API: waveforms (contract §6)', function () {
  this.timeout(20_000);
  let server: TestServer;
  let audio: AudioDir;

  async function createSession(title = 'Waveform'): Promise<string> {
    const response = await server.api('POST', '/sessions', { json: { title } });
    assert.equal(response.status, 201, response.text);
    return response.body.data.id;
  }

  async function attach(sessionId: string, path: string, id?: string): Promise<string> {
    const response = await server.api('POST', `/sessions/${sessionId}/previews`, { json: id ? { path, id } : { path } });
    assert.equal(response.status, 201, response.text);
    return response.body.data.previews.at(-1).id;
  }

  /** A new session whose only variant is the file at `path`. */
  async function sessionWith(path: string, id?: string): Promise<{ sessionId: string; variantId: string }> {
    const sessionId = await createSession();
    return { sessionId, variantId: await attach(sessionId, path, id) };
  }

  const waveform = (sessionId: string, query = '') => server.api('GET', `/sessions/${sessionId}/waveform${query}`);

  async function waveformOk(sessionId: string, query = ''): Promise<Json> {
    const response = await waveform(sessionId, query);
    assert.equal(response.status, 200, response.text);
    return response.body.data;
  }

  before(async () => {
    audio = tempAudioDir();
    server = await startTestServer();
  });

  after(async () => {
    await server.dispose();
    audio.cleanup();
  });

  describe('acceptance: a 440 Hz sine of amplitude 0.5 in every format', () => {
    for (const entry of acceptance) {
      it(`${entry.name}: peak 0.5 ± 0.02, duration within its tolerance, 1000 points by default`, async () => {
        // Given a session whose preview is the file
        const path = entry.file(audio);
        const { sessionId, variantId } = await sessionWith(path);

        // When its waveform is asked for with the default points
        const data = await waveformOk(sessionId);

        // Then it has the shape of §6, the sine's peak and the file's duration
        assertWaveformShape(data, sessionId, variantId, 1000);
        assert.equal(data.sampleRate, 44_100);
        assert.equal(data.channels, entry.channels);
        assertWithin(max(data.peaks), PEAK, PEAK_TOLERANCE, 'max(peaks)');
        const [low, high] = entry.durationMs;
        assert.ok(data.durationMs >= low && data.durationMs <= high, `durationMs ${data.durationMs} is not in [${low}, ${high}]`);

        // And at 100 points every bucket of a lossless file holds a crest (no gaps, no garbage), a lossy one most buckets
        const coarse = await waveformOk(sessionId, '?points=100');
        assertWaveformShape(coarse, sessionId, variantId, 100);
        if (entry.lossless) {
          assertWithin(min(coarse.peaks), PEAK, PEAK_TOLERANCE, 'min(peaks) at 100 points');
          assertWithin(max(coarse.peaks), PEAK, PEAK_TOLERANCE, 'max(peaks) at 100 points');
        } else {
          assertWithin(median(coarse.peaks), PEAK, PEAK_TOLERANCE, 'median(peaks) at 100 points');
          assert.ok(max(coarse.peaks) <= PEAK + PEAK_TOLERANCE, `max(peaks) ${max(coarse.peaks)} at 100 points`);
        }
      });
    }

    it('a long 24-bit stereo WAV (20 s, 5 MB; frames straddle any read-chunk boundary) decodes whole and right', async () => {
      const path = writeWav(audio.file('long/long-24.wav'), sine({ durationS: 20, channels: 2 }), { encoding: 'pcm24' });
      const { sessionId } = await sessionWith(path);

      const data = await waveformOk(sessionId, '?points=400');

      assert.equal(data.channels, 2);
      assertWithin(data.durationMs, 20_000, 200, 'durationMs');
      assertWithin(min(data.peaks), PEAK, PEAK_TOLERANCE, 'min(peaks)');
      assertWithin(max(data.peaks), PEAK, PEAK_TOLERANCE, 'max(peaks)');
    });
  });

  describe('the bucket rule: bucket i covers frames [floor(i*N/points), floor((i+1)*N/points))', () => {
    for (const [what, encoding, write] of [
      ['16-bit WAV', 'pcm16', (path: string, channels: Channels) => writeWav(path, channels, { encoding: 'pcm16' })],
      ['8-bit WAV (silence is 128)', 'pcm8', (path: string, channels: Channels) => writeWav(path, channels, { encoding: 'pcm8' })],
      ['32-bit float WAV', 'float32', (path: string, channels: Channels) => writeWav(path, channels, { encoding: 'float32' })],
      ['16-bit AIFF', 'aiff', (path: string, channels: Channels) => writeAiff(path, channels)],
    ] as const) {
      it(`1 s of silence then 1 s at full scale (${what}), 100 points: buckets 0-49 are ~0, 50-99 are ~1`, async () => {
        // Given 88,200 frames: 44,100 silent, then a full-scale sine starting at its crest
        const path = write(audio.file(`burst/burst-${encoding}.${encoding === 'aiff' ? 'aiff' : 'wav'}`), silenceThenBurst());
        const { sessionId, variantId } = await sessionWith(path);

        // When the waveform has 100 points: 882 frames per bucket, the burst starting exactly at bucket 50
        const data = await waveformOk(sessionId, '?points=100');

        // Then the first half is silent and the second at full scale (no boundary bucket is spared: 44,100 = 50 * 882)
        assertWaveformShape(data, sessionId, variantId, 100);
        assertWithin(data.durationMs, 2000, 20, 'durationMs');
        const silent = data.peaks.slice(0, 50);
        const loud = data.peaks.slice(50);
        assert.ok(max(silent) <= 0.01, `buckets 0-49 should be ~0, max is ${max(silent)} (bucket ${silent.indexOf(max(silent))})`);
        assert.ok(min(loud) >= 0.98, `buckets 50-99 should be ~1, min is ${min(loud)} (bucket ${50 + loud.indexOf(min(loud))})`);
      });
    }

    for (const points of [16, 17, 100]) {
      it(`a rising ramp of 1003 frames at ${points} points: each bucket's peak is its last frame's sample`, async () => {
        // Given a ramp: frame k holds 0.9 * (k + 1) / 1003 (a step of ~0.0009 per frame)
        const frames = 1003;
        const ramp = new Float64Array(frames).map((_, k) => (0.9 * (k + 1)) / frames);
        const path = writeWav(audio.file(`ramp/ramp-${points}.wav`), [ramp], { sampleRate: 1000 });
        const { sessionId } = await sessionWith(path);

        // When the waveform is asked for
        const data = await waveformOk(sessionId, `?points=${points}`);

        // Then bucket i ends at frame floor((i + 1) * N / points) - 1, to the frame
        assert.equal(data.sampleRate, 1000);
        assertWithin(data.durationMs, 1003, 1, 'durationMs');
        const expected = Array.from({ length: points }, (_, i) => ramp[Math.floor(((i + 1) * frames) / points) - 1]);
        for (let i = 0; i < points; i += 1) {
          assertWithin(data.peaks[i], expected[i], 0.0002, `peaks[${i}] (frames ${Math.floor((i * frames) / points)}-${Math.floor(((i + 1) * frames) / points) - 1})`);
        }
      });
    }

    it('takes the largest absolute sample over all channels (a negative spike on the right channel wins)', async () => {
      // Given 1600 stereo frames: left 0.1 throughout; right silent but -0.8 at frame 850 and 0.6 at frame 1599
      const left = new Float64Array(1600).fill(0.1);
      const right = new Float64Array(1600);
      right[850] = -0.8;
      right[1599] = 0.6;
      const path = writeWav(audio.file('channels/spikes.wav'), [left, right], { sampleRate: 1600 });
      const { sessionId } = await sessionWith(path);

      // When the waveform has 16 points (100 frames each)
      const data = await waveformOk(sessionId, '?points=16');

      // Then bucket 8 shows the negative spike, bucket 15 the positive one, the rest the left channel
      assert.equal(data.channels, 2);
      const expected = Array.from({ length: 16 }, (_, i) => (i === 8 ? 0.8 : i === 15 ? 0.6 : 0.1));
      for (let i = 0; i < 16; i += 1) assertWithin(data.peaks[i], expected[i], 0.001, `peaks[${i}]`);
    });

    it('keeps peaks within [0, 1] for a float file that goes over full scale', async () => {
      const samples = sine({ durationS: 0.5, amplitude: 0.5 });
      samples[0][11_025] = 1.5;
      samples[0][11_026] = -2;
      const path = writeWav(audio.file('float/over.wav'), samples, { encoding: 'float32' });
      const { sessionId } = await sessionWith(path);

      const data = await waveformOk(sessionId, '?points=16');

      assert.equal(max(data.peaks), 1);
      assert.equal(data.peaks.filter((peak: number) => peak === 1).length, 1);
    });
  });

  describe('points and variant selection', () => {
    it('accepts points at the limits, 16 and 10,000', async () => {
      const { sessionId, variantId } = await sessionWith(writeWav(audio.file('limits/main.wav'), sine({ durationS: 1 })));

      assertWaveformShape(await waveformOk(sessionId, '?points=16'), sessionId, variantId, 16);
      assertWaveformShape(await waveformOk(sessionId, '?points=10000'), sessionId, variantId, 10_000);
    });

    for (const points of ['15', '10001', '0', '-1', '1.5', 'abc', '', '16abc', '100000000000000000000', '16&points=32']) {
      it(`refuses points=${points || '(empty)'} with 400 invalid_query`, async () => {
        const { sessionId } = await sessionWith(writeWav(audio.file(`points/${points || 'empty'}.wav`), sine({ durationS: 0.1 })));

        assertError(await waveform(sessionId, `?points=${points}`), 400, 'invalid_query');
      });
    }

    it('uses the preferred variant without variantId and the named one with it', async () => {
      // Given a preferred variant at amplitude 0.5 and another at 0.25
      const sessionId = await createSession();
      await attach(sessionId, writeWav(audio.file('select/loud.wav'), sine({ durationS: 1 })), 'preview_loud');
      await attach(sessionId, writeWav(audio.file('select/quiet.wav'), sine({ durationS: 2, amplitude: 0.25 })), 'preview_quiet');

      // When both are asked for
      const preferred = await waveformOk(sessionId, '?points=32');
      const quiet = await waveformOk(sessionId, '?variantId=preview_quiet&points=32');

      // Then each is its own file's
      assert.equal(preferred.variantId, 'preview_loud');
      assertWithin(max(preferred.peaks), 0.5, PEAK_TOLERANCE, 'preferred max');
      assertWithin(preferred.durationMs, 1000, 10, 'preferred durationMs');
      assert.equal(quiet.variantId, 'preview_quiet');
      assertWithin(max(quiet.peaks), 0.25, PEAK_TOLERANCE, 'quiet max');
      assertWithin(quiet.durationMs, 2000, 20, 'quiet durationMs');

      // And after the quiet one is made preferred, it is the default
      assert.equal((await server.api('PATCH', `/sessions/${sessionId}`, { json: { preferredPreviewId: 'preview_quiet' } })).status, 200);
      assert.equal((await waveformOk(sessionId, '?points=32')).variantId, 'preview_quiet');
    });

    it('answers 404 not_found without a variant, for an unknown variantId, an unknown and a deleted session', async () => {
      const bare = await createSession('No previews');
      const { sessionId } = await sessionWith(writeWav(audio.file('missing/main.wav'), sine({ durationS: 0.1 })), 'preview_main');
      const deleted = (await sessionWith(writeWav(audio.file('missing/deleted.wav'), sine({ durationS: 0.1 })))).sessionId;
      assert.equal((await server.api('DELETE', `/sessions/${deleted}`)).status, 200);

      assertError(await waveform(bare), 404, 'not_found');
      assertError(await waveform(bare, '?variantId=main'), 404, 'not_found');
      assertError(await waveform(sessionId, '?variantId=preview_other'), 404, 'not_found');
      assertError(await waveform(sessionId, '?variantId=..%2F..%2Fetc%2Fpasswd'), 404, 'not_found');
      assertError(await waveform(UNKNOWN_ID), 404, 'not_found');
      assertError(await waveform(deleted), 404, 'not_found');
    });
  });

  describe('files that cannot be decoded: 422 unsupported_audio, and the server goes on', () => {
    const broken: Array<[string, () => Buffer]> = [
      ['a WAV cut in the middle of its fmt chunk', () => headerCutWav()],
      ['RIFF/WAVE followed by random bytes', () => garbageWav(6000)],
      ['fLaC followed by random bytes', () => garbageFlac(6000)],
      ['random bytes', () => randomNotMagic(6000)],
      ['an empty file', () => Buffer.alloc(0)],
    ];
    for (const [what, bytes] of broken) {
      it(`a good file overwritten on disk with ${what}`, async () => {
        // Given a variant whose waveform was computed from a good file
        const path = writeWav(audio.file(`broken/${what.replace(/[^a-z0-9]+/gi, '-')}.wav`), sine({ durationS: 0.2 }));
        const { sessionId } = await sessionWith(path);
        assert.equal((await waveform(sessionId, '?points=16')).status, 200);

        // When the file is replaced by one that cannot be decoded (another size, so another identity)
        writeFileSync(path, bytes());

        // Then its waveform is 422 unsupported_audio, not a stale cache entry, not a 500
        assertError(await waveform(sessionId, '?points=16'), 422, 'unsupported_audio');
        assertError(await waveform(sessionId), 422, 'unsupported_audio');

        // And the server keeps serving
        assert.equal((await server.api('GET', '/health')).status, 200);
        assert.equal((await server.api('GET', `/sessions/${sessionId}`)).status, 200);
      });
    }

    it('a WAV attached as RIFF/WAVE + random bytes answers 422 unsupported_audio', async () => {
      const path = audio.file('broken/attached-garbage.wav');
      writeFileSync(path, garbageWav(8000));
      const sessionId = await createSession();
      const attached = await server.api('POST', `/sessions/${sessionId}/previews`, { json: { path } });
      assert.equal(attached.status, 201, attached.text);

      assertError(await waveform(sessionId), 422, 'unsupported_audio');
      assert.equal((await server.api('GET', '/health')).status, 200);
    });

    it('a WAV whose data chunk claims more bytes than the file holds decodes the frames that are there', async () => {
      // Given a 1 s 16-bit WAV cut after 0.5 s, its header still claiming 1 s
      const { bytes, framesPresent } = dataCutWav(sine({ durationS: 1 }), { encoding: 'pcm16' }, 0.5);
      const path = audio.file('broken/data-cut.wav');
      writeFileSync(path, bytes);
      const { sessionId } = await sessionWith(path);

      // When its waveform is asked for
      const data = await waveformOk(sessionId, '?points=50');

      // Then it covers the half that is there (not the claimed length padded with zeros)
      assertWithin(data.durationMs, (framesPresent / 44_100) * 1000, 10, 'durationMs');
      assertWithin(min(data.peaks), PEAK, PEAK_TOLERANCE, 'min(peaks)');
    });
  });

  describe('cache', () => {
    it('serves the same points from the cache: same answer, the audio file not opened again', async () => {
      // Given a waveform computed once
      const path = writeWav(audio.file('cache/main.wav'), sine({ durationS: 1 }));
      const { sessionId } = await sessionWith(path);
      await eventually(
        async () => (await server.api('GET', `/sessions/${sessionId}/preview`)).body.data.previewStatus,
        (status) => status !== 'pending',
        'the analysis finishing',
      );
      const first = await waveformOk(sessionId, '?points=64');

      // When it is asked for again
      const { result: second, opened } = await recordingOpens(() => waveformOk(sessionId, '?points=64'));

      // Then the answer is the same and the audio was not read again
      assert.deepEqual(second, first);
      assert.ok(!opened.includes(path), `the audio file was opened again: ${JSON.stringify(opened)}`);
    });

    it('recomputes when the file changes on disk (other size and mtime)', async () => {
      // Given a waveform of a 1 s sine at 0.5
      const path = writeWav(audio.file('cache/changing.wav'), sine({ durationS: 1 }));
      const { sessionId } = await sessionWith(path);
      const before = await waveformOk(sessionId, '?points=64');
      assertWithin(max(before.peaks), 0.5, PEAK_TOLERANCE, 'before');

      // When the file is rewritten as a 1.5 s sine at 0.25
      writeFileSync(path, encodeWav(sine({ durationS: 1.5, amplitude: 0.25 })));

      // Then the waveform follows the new content
      const after = await waveformOk(sessionId, '?points=64');
      assertWithin(max(after.peaks), 0.25, PEAK_TOLERANCE, 'after');
      assertWithin(after.durationMs, 1500, 15, 'durationMs after');
      assert.notDeepEqual(after.peaks, before.peaks);
    });

    it('keeps one entry per points value', async () => {
      const { sessionId } = await sessionWith(writeWav(audio.file('cache/points.wav'), silenceThenBurst({ silenceS: 0.5, burstS: 0.5 })));

      const sixteen = await waveformOk(sessionId, '?points=16');
      const hundred = await waveformOk(sessionId, '?points=100');
      const sixteenAgain = await waveformOk(sessionId, '?points=16');

      assert.equal(sixteen.peaks.length, 16);
      assert.equal(hundred.peaks.length, 100);
      assert.deepEqual(sixteenAgain, sixteen);
    });

    it('survives a restart: the cache on disk answers without reading the audio', async () => {
      // Given a waveform computed by a server that then stops
      const dataDir = newDataDir();
      const path = writeWav(audio.file('cache/restart.wav'), sine({ durationS: 1 }));
      const first = await startTestServer({}, { dataDir });
      let second: TestServer | undefined;
      try {
        const created = await first.api('POST', '/sessions', { json: { title: 'Cached' } });
        const sessionId = created.body.data.id;
        assert.equal((await first.api('POST', `/sessions/${sessionId}/previews`, { json: { path } })).status, 201);
        await eventually(
          async () => (await first.api('GET', `/sessions/${sessionId}/preview`)).body.data.previewStatus,
          (status) => status !== 'pending',
          'the analysis finishing',
        );
        const before = await first.api('GET', `/sessions/${sessionId}/waveform?points=128`);
        assert.equal(before.status, 200, before.text);
        await first.stop();

        // When a new server on the same data directory is asked for it
        second = await startTestServer({}, { dataDir });
        const running = second;
        const { result: after, opened } = await recordingOpens(() => running.api('GET', `/sessions/${sessionId}/waveform?points=128`));

        // Then the same waveform comes back, from the cache
        assert.equal(after.status, 200, after.text);
        assert.deepEqual(after.body.data, before.body.data);
        assert.ok(!opened.includes(path), `the audio was read again: ${JSON.stringify(opened)}`);
      } finally {
        if (second) await second.dispose();
        else await first.dispose();
      }
    });
  });
});
