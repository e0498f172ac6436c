import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { AnalysisWorkers, MAX_WAITING_ANALYSES } from '../../src/audio/analysis-workers';
import { AnalysisUnavailableError, isAudioError } from '../../src/audio/errors';
import { MAX_CHUNKS, wavLayout } from '../../src/audio/pcm';
import { Waveforms } from '../../src/audio/waveforms';
import { sine, tempAudioDir, writeWav, type AudioDir } from '../helpers/audio';
import { eventually } from '../helpers/eventually';
import { rssBytes } from '../helpers/hardening';

/*
 * The error paths of the analysis workers (issue 17, findings 1 and 9): a worker that runs out of
 * memory, dies, or never answers costs only itself; a full queue and a stopping server refuse new
 * analyses without blaming the file; the chunk walk stops at its limits.
 */
describe('hardening: analysis workers and their limits (findings 1, 9)', function () {
  this.timeout(60_000);

  let audio: AudioDir;
  const script = (name: string, body: string) => {
    const path = audio.file(name);
    writeFileSync(path, body);
    return path;
  };

  before(() => {
    audio = tempAudioDir('sessiondock-workers-');
  });

  after(() => audio.cleanup());

  it('given a decoder that allocates without end, then only its worker dies (out of memory) and the error blames the file', async () => {
    const workers = new AnalysisWorkers({
      timeoutMs: 30_000,
      memoryMb: 32,
      workers: 1,
      script: script('hog.js', "require('node:worker_threads').parentPort.on('message', () => { const kept = []; for (;;) kept.push(new Array(1e5).fill(Math.random())); });"),
    });
    const rssBefore = rssBytes();
    try {
      await assert.rejects(workers.run('/nowhere.wav', 100, async () => undefined), (error: Error) => isAudioError(error, 'AUDIO_UNDECODABLE') && /more than 32 MB/.test(error.message));
      assert.ok(rssBytes() - rssBefore < 300 * 1024 * 1024, 'the test process stayed small');
    } finally {
      await workers.close();
    }
  });

  it('given a worker that throws after it answered (idle in the pool), then the server thread lives on and the next analysis is answered', async () => {
    const workers = new AnalysisWorkers({
      timeoutMs: 5_000,
      memoryMb: 64,
      workers: 1,
      script: script(
        'late-throw.js',
        "const { parentPort } = require('node:worker_threads'); parentPort.on('message', ({ id }) => { parentPort.postMessage({ id, error: { code: 'AUDIO_NOT_AUDIO', message: 'answered' } }); setTimeout(() => { throw new Error('left behind'); }, 20); });",
      ),
    });
    const uncaught: Error[] = [];
    const onUncaught = (error: Error) => uncaught.push(error);
    process.prependListener('uncaughtException', onUncaught);
    try {
      await assert.rejects(workers.run('/a.wav', 100, async () => undefined), (error: Error) => error.message === 'answered');
      await eventually(async () => workers.idleWorkers(), (count) => count === 0, 'the worker that threw ended');
      await assert.rejects(workers.run('/b.wav', 100, async () => undefined), (error: Error) => error.message === 'answered');
      assert.deepEqual(uncaught, []);
    } finally {
      process.off('uncaughtException', onUncaught);
      await workers.close();
    }
  });

  it('given a worker that ends while idle in the pool, then the next analysis gets a new worker, not the whole budget', async () => {
    const workers = new AnalysisWorkers({
      timeoutMs: 20_000,
      memoryMb: 64,
      workers: 1,
      script: script(
        'idle-exit.js',
        "const { parentPort } = require('node:worker_threads'); parentPort.on('message', ({ id }) => { parentPort.postMessage({ id, error: { code: 'AUDIO_NOT_AUDIO', message: 'answered' } }); setTimeout(() => process.exit(0), 20); });",
      ),
    });
    try {
      await assert.rejects(workers.run('/a.wav', 100, async () => undefined), (error: Error) => error.message === 'answered');
      await eventually(async () => workers.idleWorkers(), (count) => count === 0, 'the idle worker ended');
      await assert.rejects(workers.run('/b.wav', 100, async () => undefined), (error: Error) => isAudioError(error, 'AUDIO_NOT_AUDIO') && error.message === 'answered');
    } finally {
      await workers.close();
    }
  });

  it('given a worker that exits, then the analysis fails as undecodable and the next one gets a new worker', async () => {
    const workers = new AnalysisWorkers({
      timeoutMs: 30_000,
      memoryMb: 64,
      workers: 1,
      script: script(
        'flaky.js',
        "const { parentPort } = require('node:worker_threads'); parentPort.on('message', ({ id, path }) => path === 'die' ? process.exit(3) : parentPort.postMessage({ id, error: { code: 'AUDIO_NOT_AUDIO', message: 'answered' } }));",
      ),
    });
    try {
      await assert.rejects(workers.run('die', 100, async () => undefined), (error: Error) => isAudioError(error, 'AUDIO_UNDECODABLE') && /stopped unexpectedly/.test(error.message));
      await assert.rejects(workers.run('live', 100, async () => undefined), (error: Error) => isAudioError(error, 'AUDIO_NOT_AUDIO') && error.message === 'answered');
    } finally {
      await workers.close();
    }
  });

  it('given a worker that never answers, then the budget ends it; a full queue and a closed pool refuse without blaming the file', async () => {
    const workers = new AnalysisWorkers({ timeoutMs: 300, memoryMb: 64, workers: 1, script: script('stuck.js', "require('node:worker_threads').parentPort.on('message', () => { for (;;); });") });
    const started = Date.now();
    await assert.rejects(workers.run('/stuck.wav', 100, async () => undefined), (error: Error) => isAudioError(error, 'AUDIO_UNDECODABLE') && /longer than 0.3 s/.test(error.message));
    assert.ok(Date.now() - started < 10_000);

    await workers.close();

    // A full queue: one running, MAX_WAITING_ANALYSES waiting, the next refused at once
    const busy = new AnalysisWorkers({ timeoutMs: 30_000, memoryMb: 64, workers: 1, script: script('stuck-too.js', "require('node:worker_threads').parentPort.on('message', () => { for (;;); });") });
    let startedRunning: () => void = () => {};
    const running = new Promise<void>((resolve) => (startedRunning = resolve));
    const queued = [busy.run('/stuck.wav', 100, async () => startedRunning()).catch((error: Error) => error)];
    await running;
    queued.push(...Array.from({ length: MAX_WAITING_ANALYSES }, () => busy.run('/stuck.wav', 100, async () => undefined).catch((error: Error) => error)));
    await assert.rejects(busy.run('/one-too-many.wav', 100, async () => undefined), (error: Error) => error instanceof AnalysisUnavailableError && !isAudioError(error));

    // Closing ends the running one and the waiting ones as "the server is stopping", not as the file's fault
    await busy.close();
    const outcomes = await Promise.all(queued);
    const unexpected = outcomes.filter((outcome) => !(outcome instanceof AnalysisUnavailableError && /stopping/.test(outcome.message)));
    assert.deepEqual(unexpected.map(String), [], 'every queued analysis ends as unavailable');
    await assert.rejects(busy.run('/after.wav', 100, async () => undefined), AnalysisUnavailableError);
  });

  it('given a stopped Waveforms, then an analysis it has not cached is refused as unavailable (the route answers 503), a cached one still answers', async () => {
    const waveforms = new Waveforms(audio.file('cache'), { timeoutMs: 30_000, memoryMb: 64, workers: 1, cacheMaxBytes: 1024 * 1024 });
    const path = writeWav(audio.file('short.wav'), sine({ durationS: 0.2 }));
    const cached = await waveforms.waveform(path, 64);
    await waveforms.stop();
    assert.deepEqual(await waveforms.waveform(path, 64), cached);
    await assert.rejects(waveforms.waveform(path, 65), AnalysisUnavailableError);
  });

  describe('the RIFF chunk walk', () => {
    const riffWith = (path: string, chunks: Array<{ id: string; size: number }>, totalSize: number) => {
      const parts = [Buffer.from('RIFF\xff\xff\xff\xffWAVE', 'latin1')];
      for (const chunk of chunks) {
        const header = Buffer.alloc(8);
        header.write(chunk.id, 0, 'latin1');
        header.writeUInt32LE(chunk.size, 4);
        parts.push(header);
      }
      const fd = openSync(path, 'w');
      writeSync(fd, Buffer.concat(parts));
      ftruncateSync(fd, totalSize);
      closeSync(fd);
      return path;
    };
    const layoutOf = async (path: string, size: number) => {
      const handle = await open(path, 'r');
      try {
        return await wavLayout(handle, size);
      } finally {
        await handle.close();
      }
    };

    it(`stops after ${MAX_CHUNKS} chunks`, async () => {
      const many = Array.from({ length: MAX_CHUNKS + 10 }, () => ({ id: 'JUNK', size: 0 }));
      const path = riffWith(audio.file('many-chunks.wav'), many, 12 + 8 * many.length + 1024);
      await assert.rejects(layoutOf(path, 12 + 8 * many.length + 1024), (error: Error) => isAudioError(error, 'AUDIO_UNDECODABLE') && /more than 256 chunks/.test(error.message));
    });

    it('stops when the audio would start more than 64 MB into the file', async () => {
      const size = 200 * 1024 * 1024;
      const path = riffWith(audio.file('far-data.wav'), [{ id: 'JUNK', size: 100 * 1024 * 1024 }], size);
      await assert.rejects(layoutOf(path, size), (error: Error) => isAudioError(error, 'AUDIO_UNDECODABLE') && /more than 64 MB/.test(error.message));
    });
  });
});
