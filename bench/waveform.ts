/**
 * Waveforms of a long PCM file (§6): a generated 10-minute 48 kHz 24-bit stereo WAV (≈ 173 MB).
 *
 *   node dist/bench/waveform.js [--seconds S --rounds R --points P --duration S --warmup S
 *                                --connections C --no-http --keep-going]
 *
 * 1. The WAV is written into a temp dir one second at a time (a 288 KB buffer, never the whole file
 *    in memory): a 1 kHz sine whose amplitude steps every second, so each bucket's expected peak is
 *    known and the analysis result is checked, not just timed. Removed on every exit path.
 * 2. In-process, no HTTP, after one untimed warm-up read (so everything reads from the page cache):
 *    R rounds, interleaved ABBA (bare, analysis; analysis, bare; ...), of
 *    - a bare sequential read of the whole file: `fs.promises.open` + `handle.read` into one reused
 *      1 MiB buffer, a few bytes per chunk summed so the read is not dead code;
 *    - the analysis as the server runs it: `openAudioFile` + `analyse(handle, size, format, P)`.
 *    Medians and the ratio analysis / bare (target ≤ 3). During each analysis this process's RSS is
 *    sampled every 5 ms (after a GC before it) and its VmHWM reset through /proc/self/clear_refs
 *    where the kernel allows it: peak RSS growth (target ≤ 64 MB), the worse of both, the worst round.
 * 3. Our server (child process, 127.0.0.1, port 0, temp data dir): a session is created, the WAV
 *    attached (POST /sessions/{id}/previews), and GET /sessions/{id}/preview polled until
 *    previewStatus is `ready` (the server analyses at points=1000 in the background on attach).
 *    Then R rounds of autocannon, interleaved: GET /health, GET /sessions/{id}/waveform (cached),
 *    latencies per response at sub-millisecond precision. Reported: p50/p99/req/s and the ratio
 *    waveform p50 / health p50 of the same round. --no-http skips this part (e.g. to profile the
 *    analysis alone: `node --cpu-prof --cpu-prof-dir DIR dist/bench/waveform.js --no-http`).
 *
 * The load generator runs in this process, the server in its own, so they never share an event loop.
 */
import { closeSync, openSync, writeSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { analyse, type Waveform } from '../src/audio/analyse';
import { openAudioFile } from '../src/audio/audio-file';
import { AnalysisWorkers } from '../src/audio/analysis-workers';
import {
  childEnv,
  ensureServerBuild,
  findProjectRoot,
  formatTable,
  isInterrupted,
  loadAutocannon,
  makeTempDir,
  median,
  memoryOf,
  percentile,
  removeTempDir,
  runLoad,
  runMain,
  startChild,
  stopChild,
  tokenFor,
  type Autocannon,
} from './harness';

const TARGET_READ_RATIO = 3;
const TARGET_RSS_GROWTH_MB = 64;
const SAMPLE_RATE = 48_000;
const CHANNELS = 2;
const BYTES_PER_SAMPLE = 3;
const TONE_HZ = 1000;
const READ_BYTES = 1 << 20;
const RSS_SAMPLE_MS = 5;
const READY_TIMEOUT_MS = 180_000;
const MB = 1024 * 1024;

const ms = (value: number) => `${value.toFixed(0)} ms`;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

// ---- 1. the WAV ----

/** The amplitude of second `s` of the generated file: steps of 0.1 from 0.1 to 0.9 and back down. */
const amplitudeOf = (second: number) => [0.1, 0.3, 0.5, 0.7, 0.9, 0.8, 0.6, 0.4, 0.2][second % 9];

/** Writes a 24-bit stereo PCM WAV of `seconds` seconds, one second per write; returns its size in bytes. */
function writeWav(path: string, seconds: number): number {
  const frameBytes = CHANNELS * BYTES_PER_SAMPLE;
  const dataBytes = seconds * SAMPLE_RATE * frameBytes;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(CHANNELS, 22);
  header.writeUInt32LE(SAMPLE_RATE, 24);
  header.writeUInt32LE(SAMPLE_RATE * frameBytes, 28);
  header.writeUInt16LE(frameBytes, 32);
  header.writeUInt16LE(BYTES_PER_SAMPLE * 8, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataBytes, 40);

  // One period of the tone (48 samples at 1 kHz, its peak exactly on sample 12), scaled per second.
  const period = SAMPLE_RATE / TONE_HZ;
  const unit = Float64Array.from({ length: period }, (_, i) => Math.sin((2 * Math.PI * i) / period));
  const second = Buffer.allocUnsafe(SAMPLE_RATE * frameBytes);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header);
    for (let s = 0; s < seconds; s += 1) {
      if (isInterrupted()) throw new Error('interrupted');
      const full = amplitudeOf(s) * 8_388_607;
      for (let frame = 0, byte = 0; frame < SAMPLE_RATE; frame += 1) {
        const value = unit[frame % period];
        byte = second.writeIntLE(Math.round(full * value), byte, 3);
        byte = second.writeIntLE(Math.round(-0.7 * full * value), byte, 3);
      }
      writeSync(fd, second);
    }
  } finally {
    closeSync(fd);
  }
  return 44 + dataBytes;
}

/** The peaks the analysis must find: per bucket of frames [floor(i·N/P), floor((i+1)·N/P)), the loudest second it touches. */
function expectedPeaks(seconds: number, points: number): number[] {
  const frames = seconds * SAMPLE_RATE;
  return Array.from({ length: points }, (_, i) => {
    const first = Math.floor((i * frames) / points);
    const last = Math.floor(((i + 1) * frames) / points) - 1;
    let peak = 0;
    for (let s = Math.floor(first / SAMPLE_RATE); s <= Math.floor(last / SAMPLE_RATE); s += 1) peak = Math.max(peak, amplitudeOf(s));
    return Math.round(((Math.round(peak * 8_388_607) / 8_388_608) * 1e4)) / 1e4;
  });
}

/** What is wrong with a waveform of the generated file, or null. */
function checkWaveform(waveform: Pick<Waveform, 'durationMs' | 'sampleRate' | 'channels' | 'points' | 'peaks'>, seconds: number, points: number): string | null {
  if (waveform.durationMs !== seconds * 1000) return `durationMs ${waveform.durationMs}, not ${seconds * 1000}`;
  if (waveform.sampleRate !== SAMPLE_RATE || waveform.channels !== CHANNELS) return `${waveform.sampleRate} Hz × ${waveform.channels}, not ${SAMPLE_RATE} × ${CHANNELS}`;
  if (waveform.points !== points || waveform.peaks.length !== points) return `${waveform.peaks.length} peaks, not ${points}`;
  const expected = expectedPeaks(seconds, points);
  const wrong = waveform.peaks.findIndex((peak, i) => Math.abs(peak - expected[i]) > 2e-4);
  return wrong < 0 ? null : `peak ${wrong} is ${waveform.peaks[wrong]}, expected ${expected[wrong]}`;
}

// ---- 2. in-process: bare read against analysis ----

/** A sequential read of the whole file into one reused 1 MiB buffer; returns a checksum of a few bytes per chunk. */
async function bareRead(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafeSlow(READ_BYTES);
    let sum = 0;
    for (let position = 0; ; ) {
      const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, position);
      if (bytesRead === 0) break;
      sum = (sum + buffer[0] + buffer[bytesRead >> 1] + buffer[bytesRead - 1]) | 0;
      position += bytesRead;
    }
    return sum;
  } finally {
    await handle.close();
  }
}

async function analyseFile(path: string, points: number): Promise<Waveform> {
  const file = await openAudioFile(path);
  try {
    return await analyse(file.handle, file.size, file.format, points);
  } finally {
    await file.handle.close();
  }
}

/** global.gc without --expose-gc on the command line (V8 installs it in contexts made after the flag). */
function getGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Resets this process's VmHWM to its current RSS (Linux ≥ 4.0); false where that is not allowed. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

interface AnalysisRun {
  ms: number;
  waveform: Waveform;
  /** Largest sampled RSS minus the RSS just before, bytes. */
  sampledGrowth: number;
  /** VmHWM after minus RSS before (NaN where VmHWM cannot be reset), bytes. */
  hwmGrowth: number;
  samples: number;
}

async function measuredAnalysis(path: string, points: number, gc: () => void): Promise<AnalysisRun> {
  gc();
  gc();
  const hwmReset = resetPeakRss();
  const before = process.memoryUsage.rss();
  let peak = before;
  let samples = 0;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
    samples += 1;
  }, RSS_SAMPLE_MS);
  const started = performance.now();
  try {
    const waveform = await analyseFile(path, points);
    const elapsed = performance.now() - started;
    const last = process.memoryUsage.rss();
    if (last > peak) peak = last;
    const hwm = hwmReset ? memoryOf(process.pid)?.peakMb : undefined;
    return { ms: elapsed, waveform, sampledGrowth: peak - before, hwmGrowth: hwm === undefined ? NaN : hwm * MB - before, samples };
  } finally {
    clearInterval(sampler);
  }
}

async function timedBareRead(path: string): Promise<number> {
  const started = performance.now();
  await bareRead(path);
  return performance.now() - started;
}

// ---- 3. the server ----

interface LoadRow {
  round: number;
  query: 'health' | 'waveform';
  rps: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

async function measureLoad(
  autocannon: Autocannon,
  url: string,
  headers: Record<string, string>,
  connections: number,
  warmup: number,
  duration: number,
): Promise<Omit<LoadRow, 'round' | 'query'>> {
  if (warmup > 0) await runLoad(autocannon, { url, headers, connections, duration: warmup });
  if (isInterrupted()) throw new Error('interrupted');
  const latencies: number[] = [];
  const result = await runLoad(autocannon, { url, headers, connections, duration }, (status, latency) => {
    if (status === 200) latencies.push(latency);
  });
  latencies.sort((a, b) => a - b);
  return {
    rps: result.requests.average,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

async function call(method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

interface HttpReport {
  rows: LoadRow[];
  readyMs: number;
  serverRssBeforeMb: number;
  serverPeakAfterMb: number;
  problems: string[];
}

async function httpPart(
  root: string,
  wavPath: string,
  seconds: number,
  options: { rounds: number; duration: number; warmup: number; connections: number },
): Promise<HttpReport> {
  const bin = join(root, 'bin', 'sessiondock.js');
  const autocannon = loadAutocannon(root);
  const dataDir = makeTempDir('sessiondock-wavebench-data-');
  const problems: string[] = [];
  try {
    const token = tokenFor(root, dataDir);
    const headers = { authorization: `Bearer ${token}` };
    const { child, baseUrl } = await startChild('ours', [bin, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], dataDir, childEnv(), root);
    try {
      const pid = child.process.pid!;
      const created = await call('POST', `${baseUrl}/sessions`, headers, { title: 'Waveform bench', kind: 'Ableton' });
      if (created.status !== 201) throw new Error(`POST /sessions answered ${created.status}: ${JSON.stringify(created.body).slice(0, 300)}`);
      const id = created.body.data.id as string;
      const serverRssBeforeMb = memoryOf(pid)?.rssMb ?? NaN;
      const attachedAt = performance.now();
      const attached = await call('POST', `${baseUrl}/sessions/${id}/previews`, headers, { path: wavPath });
      if (attached.status !== 201) throw new Error(`POST /sessions/${id}/previews answered ${attached.status}: ${JSON.stringify(attached.body).slice(0, 300)}`);

      // The server analyses the file in the background: poll until the variant is ready.
      let status = attached.body.data.previewStatus as string;
      while (status !== 'ready') {
        if (status === 'failed') throw new Error(`the preview failed: ${JSON.stringify(attached.body).slice(0, 300)}`);
        if (performance.now() - attachedAt > READY_TIMEOUT_MS) throw new Error(`previewStatus still ${status} after ${READY_TIMEOUT_MS} ms`);
        if (isInterrupted()) throw new Error('interrupted');
        await new Promise((resolve) => setTimeout(resolve, 50));
        const preview = await call('GET', `${baseUrl}/sessions/${id}/preview`, headers);
        if (preview.status !== 200) throw new Error(`GET /sessions/${id}/preview answered ${preview.status}`);
        status = preview.body.data.previewStatus as string;
      }
      const readyMs = performance.now() - attachedAt;
      const serverPeakAfterMb = memoryOf(pid)?.peakMb ?? NaN;
      process.stdout.write(
        `server: attach → previewStatus ready in ${ms(readyMs)} (background analysis at points=1000, the log append and 50 ms polling included); ` +
          `server RSS before attach ${serverRssBeforeMb.toFixed(0)} MB, peak (VmHWM, since start) after ${serverPeakAfterMb.toFixed(0)} MB\n`,
      );

      const waveformPath = `/sessions/${id}/waveform`;
      const check = await call('GET', `${baseUrl}${waveformPath}`, headers);
      if (check.status !== 200) throw new Error(`GET ${waveformPath} answered ${check.status}: ${JSON.stringify(check.body).slice(0, 300)}`);
      const wrong = checkWaveform(check.body.data as Waveform, seconds, 1000);
      if (wrong) problems.push(`the server's waveform is wrong: ${wrong}`);
      process.stdout.write(`GET /api/v1${waveformPath}: ${JSON.stringify(check.body).length} bytes, ${wrong ? `WRONG: ${wrong}` : 'peaks as generated'}\n\n`);

      const queries = [
        { name: 'health' as const, path: '/health' },
        { name: 'waveform' as const, path: waveformPath },
      ];
      const rows: LoadRow[] = [];
      for (let round = 1; round <= options.rounds && !isInterrupted(); round += 1) {
        for (const query of queries) {
          if (isInterrupted()) break;
          const row: LoadRow = { round, query: query.name, ...(await measureLoad(autocannon, `${baseUrl}${query.path}`, headers, options.connections, options.warmup, options.duration)) };
          rows.push(row);
          process.stdout.write(
            `  round ${round} ${query.name.padEnd(8)} ${row.rps.toFixed(0).padStart(6)} req/s  p50 ${row.p50.toFixed(2)} ms  p99 ${row.p99.toFixed(2)} ms  ` +
              `non-2xx ${row.non2xx}  (load average ${loadavg()[0].toFixed(1)})\n`,
          );
        }
      }
      if (rows.some((row) => row.non2xx > 0 || row.errors > 0 || row.timeouts > 0)) problems.push('some load runs had non-2xx responses or connection errors');
      return { rows, readyMs, serverRssBeforeMb, serverPeakAfterMb, problems };
    } finally {
      await stopChild(child);
    }
  } finally {
    removeTempDir(dataDir);
  }
}

// ---- main ----

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '600' },
      rounds: { type: 'string', default: '3' },
      points: { type: 'string', default: '1000' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      connections: { type: 'string', default: '10' },
      'no-http': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const points = Number(values.points);
  const duration = Number(values.duration);
  const warmup = Number(values.warmup);
  const connections = Number(values.connections);
  for (const [name, value] of Object.entries({ seconds, rounds, points, duration, connections })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  }
  if (!Number.isFinite(warmup) || warmup < 0) throw new Error('--warmup must be a number of seconds ≥ 0');

  const root = findProjectRoot();
  if (!values['no-http']) ensureServerBuild(root);
  const gc = getGc();
  process.stdout.write(
    `waveform bench: ${seconds} s of ${SAMPLE_RATE} Hz ${BYTES_PER_SAMPLE * 8}-bit stereo WAV; ${rounds} rounds bare read / analysis (points=${points}), interleaved ABBA` +
      `${values['no-http'] ? '' : `; then ${rounds} rounds of GET /health and the cached GET /waveform, interleaved, ${connections} connections, ${warmup} s warm-up + ${duration} s measured each`}\n` +
      `project: ${root}\nnode ${process.version}; load average before: ${loadavg().map((value) => value.toFixed(1)).join(' ')} (other work on this machine skews every figure)\n\n`,
  );

  // 1. The file.
  const wavDir = makeTempDir('sessiondock-wavebench-');
  const wavPath = join(wavDir, 'ten-minutes.wav');
  try {
    const writtenAt = performance.now();
    const size = writeWav(wavPath, seconds);
    process.stdout.write(`generated ${wavPath}: ${mb(size)} (${size} bytes) in ${ms(performance.now() - writtenAt)}\n`);

    // 2. In-process: one warm-up read (page cache, JIT), then ABBA rounds.
    await bareRead(wavPath);
    const warm = await analyseFile(wavPath, points);
    const wrong = checkWaveform(warm, seconds, points);
    process.stdout.write(`warm-up read and analysis done; the analysis ${wrong ? `is WRONG: ${wrong}` : 'found the generated peaks'}\n`);
    const bare: number[] = [];
    const analyses: AnalysisRun[] = [];
    for (let round = 1; round <= rounds && !isInterrupted(); round += 1) {
      const order = round % 2 === 1 ? (['bare', 'analysis'] as const) : (['analysis', 'bare'] as const);
      for (const step of order) {
        if (step === 'bare') {
          bare.push(await timedBareRead(wavPath));
          process.stdout.write(`  round ${round} bare read  ${ms(bare[bare.length - 1]).padStart(7)}  ${((size / MB / bare[bare.length - 1]) * 1000).toFixed(0)} MB/s\n`);
        } else {
          const run = await measuredAnalysis(wavPath, points, gc);
          analyses.push(run);
          process.stdout.write(
            `  round ${round} analysis   ${ms(run.ms).padStart(7)}  ${((size / MB / run.ms) * 1000).toFixed(0)} MB/s  ` +
              `RSS growth: sampled peak ${mb(run.sampledGrowth)} (${run.samples} samples), VmHWM ${Number.isNaN(run.hwmGrowth) ? 'n/a' : mb(run.hwmGrowth)}\n`,
          );
        }
      }
    }
    if (bare.length === 0 || analyses.length === 0) throw new Error('interrupted before a round completed');
    // The same analysis as the server runs it: on a worker thread (kept between analyses, as the server keeps them).
    const workers = new AnalysisWorkers({ timeoutMs: READY_TIMEOUT_MS, memoryMb: 256, workers: 1 });
    const onWorker: number[] = [];
    let workerWrong: string | null = null;
    try {
      for (let round = 0; round <= rounds && !isInterrupted(); round += 1) {
        const started = performance.now();
        const { waveform } = await workers.run(wavPath, points, async () => undefined);
        // Round 0 starts the worker and is not counted: the server pays that once.
        if (round > 0) onWorker.push(performance.now() - started);
        workerWrong ??= checkWaveform(waveform, seconds, points);
        if (round > 0) process.stdout.write(`  round ${round} on a worker ${ms(onWorker[onWorker.length - 1]).padStart(7)}\n`);
      }
    } finally {
      await workers.close();
    }
    const workerMs = median(onWorker);
    const bareMs = median(bare);
    const analysisMs = median(analyses.map((run) => run.ms));
    const ratios = analyses.map((run, i) => run.ms / (bare[i] ?? bareMs));
    const ratio = analysisMs / bareMs;
    const growth = Math.max(...analyses.map((run) => Math.max(run.sampledGrowth, Number.isNaN(run.hwmGrowth) ? 0 : run.hwmGrowth)));
    const problems = wrong ? [`the in-process analysis is wrong: ${wrong}`] : [];
    if (workerWrong) problems.push(`the analysis on a worker is wrong: ${workerWrong}`);

    // 3. The server.
    const http = values['no-http'] || isInterrupted() ? null : (process.stdout.write('\n'), await httpPart(root, wavPath, seconds, { rounds, duration, warmup, connections }));
    if (http) problems.push(...http.problems);

    // The tables.
    const rows: string[][] = [
      ['bare sequential read (1 MiB reads)', `${ms(bareMs)} (${ms(Math.min(...bare))}-${ms(Math.max(...bare))})`, `${((size / MB / bareMs) * 1000).toFixed(0)} MB/s`, '', ''],
      [`analysis, points=${points}`, `${ms(analysisMs)} (${ms(Math.min(...analyses.map((r) => r.ms)))}-${ms(Math.max(...analyses.map((r) => r.ms)))})`, `${((size / MB / analysisMs) * 1000).toFixed(0)} MB/s`, '', ''],
      [`analysis on a worker thread, points=${points}`, `${ms(workerMs)} (${ms(Math.min(...onWorker))}-${ms(Math.max(...onWorker))})`, `${((size / MB / workerMs) * 1000).toFixed(0)} MB/s`, '', ''],
      ['worker / in-process analysis', (workerMs / analysisMs).toFixed(2), '', '', ''],
      ['analysis / bare read', ratio.toFixed(2), `per round ${ratios.map((r) => r.toFixed(2)).join(', ')}`, `≤ ${TARGET_READ_RATIO}`, ratio <= TARGET_READ_RATIO ? 'met' : 'NOT MET'],
      ['peak RSS growth during analysis (worst round)', mb(growth), `sampled every ${RSS_SAMPLE_MS} ms + VmHWM`, `≤ ${TARGET_RSS_GROWTH_MB} MB`, growth <= TARGET_RSS_GROWTH_MB * MB ? 'met' : 'NOT MET'],
    ];
    if (http && http.rows.length > 0) {
      const of = (query: LoadRow['query']) => http.rows.filter((row) => row.query === query);
      const healthOf = (round: number) => http.rows.find((row) => row.round === round && row.query === 'health');
      const p50Ratios = of('waveform').map((row) => row.p50 / (healthOf(row.round)?.p50 ?? NaN));
      const summary = (query: LoadRow['query']) =>
        `p50 ${median(of(query).map((row) => row.p50)).toFixed(2)} ms, p99 ${median(of(query).map((row) => row.p99)).toFixed(2)} ms`;
      rows.push(
        ['GET /health', summary('health'), `${median(of('health').map((row) => row.rps)).toFixed(0)} req/s`, '', ''],
        ['GET /waveform (cached, points=1000)', summary('waveform'), `${median(of('waveform').map((row) => row.rps)).toFixed(0)} req/s`, '', ''],
        ['waveform p50 / health p50', median(p50Ratios).toFixed(2), `per round ${p50Ratios.map((r) => r.toFixed(2)).join(', ')}`, '-', '-'],
        ['server: attach → ready', ms(http.readyMs), `server VmHWM ${http.serverPeakAfterMb.toFixed(0)} MB, RSS before attach ${http.serverRssBeforeMb.toFixed(0)} MB`, '', ''],
      );
      process.stdout.write(
        `\n${formatTable(
          ['round', 'query', 'req/s', 'p50 ms', 'p99 ms', 'p50 / health p50', 'check'],
          http.rows.map((row) => [
            String(row.round),
            row.query,
            row.rps.toFixed(0),
            row.p50.toFixed(2),
            row.p99.toFixed(2),
            row.query === 'health' ? '-' : (row.p50 / (healthOf(row.round)?.p50 ?? NaN)).toFixed(2),
            row.non2xx + row.errors + row.timeouts > 0 ? `ERRORS: non-2xx ${row.non2xx}, conn errors ${row.errors}, timeouts ${row.timeouts}` : `${row.total} × 200`,
          ]),
          (i) => i >= 2 && i <= 5,
        )}`,
      );
    }
    process.stdout.write(
      `\nmedians over ${analyses.length} rounds (${mb(size)} file, load average now ${loadavg()[0].toFixed(1)}):\n` +
        formatTable(['measure', 'value (range)', 'detail', 'target', 'check'], rows, () => false),
    );
    if (problems.length > 0) process.stdout.write(`\nWARNING: ${problems.join('; ')}\n`);
    return problems.length > 0 ? 1 : 0;
  } finally {
    removeTempDir(wavDir);
  }
}

runMain('waveform bench', main);
