/**
 * Batch import (§7) of 10,000 generated project folders, against 10,000 sequential
 * POST /api/v1/sessions over HTTP, in the same run; and GET /health latency while the import runs
 * against the same server idle.
 *
 *   node dist/bench/import.js [--items N --rounds R --idle S --health-rate R --poll-ms MS
 *                              --poll summary|status --preview-items N --cpu-prof DIR]
 *
 * 1. N project folders are generated in a temp dir (`Song 00001/Song 00001.als`, empty files), no
 *    audio: the main figures import without previews.
 * 2. Rounds, interleaved ABBA (posts, import; import, posts; ...), each step on a FRESH server child
 *    process (127.0.0.1, port 0) with its own empty temp data dir:
 *    - posts: N sequential POST /api/v1/sessions `{title, kind, projectPath}` (the same folders),
 *      one at a time over one keep-alive connection; items/s = N / elapsed. Every answer must be 201.
 *    - import: first GET /health under autocannon for --idle seconds (after a 1 s warm-up): the idle
 *      p50/p99. Then the same health load runs on (in 1 s autocannon runs, back to back) while
 *      POST /api/v1/import with the N folders is sent and the import polled every --poll-ms until
 *      `done`; items/s = N / (POST sent → `done` seen), and the server's own `durationMs`. Only
 *      health responses that arrived before `done` was seen count as "during import". The final
 *      GET /import/{id} must report N created, with N per-item results.
 *    The health load is one connection at --health-rate requests/s (autocannon overallRate; 0: no
 *    limit, closed loop): this machine has 2 cores shared by the server and this process, so a
 *    closed-loop load generator would measure CPU contention rather than the server's
 *    responsiveness. autocannon spends each second's budget in one burst at the start of the second
 *    (one request at a time), so the samples cover ~10-20% of each second, at phases unrelated to
 *    the import's. Latencies are taken per response at sub-millisecond precision (autocannon's
 *    histogram keeps whole ms only).
 *    --poll summary (the default) polls GET /api/v1/import?limit=1 (the counters only) and reads
 *    GET /import/{id} once at the end; --poll status polls GET /import/{id} itself, whose per-item
 *    results grow to N entries (~1.5 MB at 10,000): serialising that 20 times a second costs the
 *    server, and parsing it costs this process, which also times the health requests.
 * 3. Optional (--preview-items M, 0 to skip): an import of M other folders, each with one short WAV
 *    in `Bounces/`, with generatePreviews: items/s to `done` (the waveform analysis of each attached
 *    preview goes on in the background after that and is not waited for).
 *
 * With --cpu-prof DIR, every server runs under `node --cpu-prof` and writes
 * DIR/{posts,import}-round<R>.cpuprofile (and previews.cpuprofile); summarise the import's with
 * `node dist/bench/cpuprofile-summary.js DIR/import-round1.cpuprofile`.
 * Everything this bench starts or writes is stopped and removed on every exit path (bench/harness.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  assertLoopback,
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
  type Child,
} from './harness';

const TARGET_RATE_RATIO = 1;
const TARGET_P99_RATIO = 5;
const HEALTH_CHUNK_S = 1;
const HEALTH_WARMUP_S = 1;
const IMPORT_TIMEOUT_MS = 600_000;
const KIND = 'Ableton';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const fmt = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

// ---- the project folders ----

const folderName = (i: number) => `Song ${String(i + 1).padStart(5, '0')}`;

/** N project folders `Song 00001/Song 00001.als` (empty), plus, with `withWav`, `Bounces/Song 00001.wav`. */
function generateFolders(root: string, count: number, withWav: boolean): string[] {
  const wav = withWav ? tinyWav() : null;
  const folders: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const folder = join(root, folderName(i));
    mkdirSync(folder);
    writeFileSync(join(folder, `${folderName(i)}.als`), '');
    if (wav) {
      mkdirSync(join(folder, 'Bounces'));
      writeFileSync(join(folder, 'Bounces', `${folderName(i)}.wav`), wav);
    }
    folders.push(folder);
  }
  return folders;
}

/** A valid 16-bit mono 44.1 kHz PCM WAV of 0.1 s (a 441 Hz square wave). */
function tinyWav(): Buffer {
  const sampleRate = 44_100;
  const frames = 4_410;
  const data = Buffer.alloc(frames * 2);
  for (let i = 0; i < frames; i += 1) data.writeInt16LE(Math.floor(i / 50) % 2 === 0 ? 8000 : -8000, i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

// ---- HTTP: one keep-alive connection per server ----

interface Server {
  child: Child;
  baseUrl: string;
  token: string;
  dataDir: string;
  agent: Agent;
}

interface Answer {
  status: number;
  text: string;
}

function call(server: Server, method: string, path: string, body?: string): Promise<Answer> {
  const url = `${server.baseUrl}${path}`;
  assertLoopback(url);
  return new Promise((resolvePromise, reject) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${server.token}` };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const req = request(url, { method, headers, agent: server.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function callJson(server: Server, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const answer = await call(server, method, path, body === undefined ? undefined : JSON.stringify(body));
  try {
    return { status: answer.status, body: JSON.parse(answer.text) };
  } catch {
    return { status: answer.status, body: answer.text };
  }
}

// ---- the steps ----

interface PostsResult {
  round: number;
  rate: number;
  elapsedMs: number;
  p50: number;
  p99: number;
}

interface HealthStats {
  p50: number;
  p99: number;
  max: number;
  count: number;
  bad: number;
}

interface ImportResult {
  round: number;
  rate: number;
  elapsedMs: number;
  durationMs: number;
  idle: HealthStats;
  during: HealthStats;
  polls: number;
  serverPeakMb: number;
}

const statsOf = (latencies: number[], bad: number): HealthStats => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? NaN, count: sorted.length, bad };
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      items: { type: 'string', default: '10000' },
      rounds: { type: 'string', default: '2' },
      idle: { type: 'string', default: '3' },
      'health-rate': { type: 'string', default: '200' },
      'poll-ms': { type: 'string', default: '50' },
      poll: { type: 'string', default: 'summary' },
      'preview-items': { type: 'string', default: '1000' },
      'cpu-prof': { type: 'string' },
    },
    strict: true,
  });
  const items = Number(values.items);
  const rounds = Number(values.rounds);
  const idleSeconds = Number(values.idle);
  const healthRate = Number(values['health-rate']);
  const pollMs = Number(values['poll-ms']);
  const previewItems = Number(values['preview-items']);
  for (const [name, value] of Object.entries({ items, rounds, idle: idleSeconds, 'poll-ms': pollMs })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  }
  if (!Number.isInteger(healthRate) || healthRate < 0) throw new Error('--health-rate must be an integer ≥ 0 (0: no limit, closed loop)');
  if (items > 10_000) throw new Error('--items: an import takes at most 10,000 items (§7)');
  if (!Number.isInteger(previewItems) || previewItems < 0 || previewItems > 10_000) throw new Error('--preview-items must be an integer 0-10,000');
  if (values.poll !== 'summary' && values.poll !== 'status') throw new Error('--poll must be summary or status');
  const pollStatus = values.poll === 'status';
  const cpuProfDir = values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined;

  const root = findProjectRoot();
  ensureServerBuild(root);
  const bin = join(root, 'bin', 'sessiondock.js');
  const autocannon: Autocannon = loadAutocannon(root);

  process.stdout.write(
    `import bench: ${items} generated project folders; ${rounds} rounds ABBA of ${items} sequential POST /sessions (one keep-alive connection) ` +
      `and POST /import of the same folders (no previews), each on a fresh server and data dir; GET /health ${healthRate > 0 ? `at ${healthRate} req/s` : 'closed loop'} on 1 connection, ` +
      `${idleSeconds} s idle then during the import; import polled every ${pollMs} ms via ${pollStatus ? 'GET /import/{id}' : 'GET /import?limit=1 (counters only)'}` +
      `${previewItems > 0 ? `; then an import of ${previewItems} folders with one WAV each, generatePreviews` : ''}\n` +
      `project: ${root}\nnode ${process.version}; load average before: ${loadavg().map((v) => v.toFixed(2)).join(' ')} (other work on this machine skews every figure)` +
      `${cpuProfDir ? `\nservers run with --cpu-prof into ${cpuProfDir} (slower)` : ''}\n\n`,
  );

  const projectsDir = makeTempDir('sessiondock-importbench-projects-');
  const generatedAt = performance.now();
  const folders = generateFolders(projectsDir, items, false);
  process.stdout.write(`generated ${items} folders under ${projectsDir} in ${fmt(performance.now() - generatedAt)} ms\n`);

  async function startServer(name: string): Promise<Server> {
    const dataDir = makeTempDir(`sessiondock-importbench-${name}-`);
    const token = tokenFor(root, dataDir);
    const profile = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, '--cpu-prof-name', `${name}.cpuprofile`] : [];
    const { child, baseUrl } = await startChild(name, [...profile, bin, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], dataDir, childEnv(), root);
    return { child, baseUrl, token, dataDir, agent: new Agent({ keepAlive: true, maxSockets: 1 }) };
  }

  async function withServer<T>(name: string, body: (server: Server) => Promise<T>): Promise<T> {
    const server = await startServer(name);
    try {
      return await body(server);
    } finally {
      server.agent.destroy();
      await stopChild(server.child);
      removeTempDir(server.dataDir);
    }
  }

  /** N sequential creates, one at a time over one keep-alive connection. */
  const posts = (round: number) =>
    withServer(`posts-round${round}`, async (server): Promise<PostsResult> => {
      const bodies = folders.map((projectPath, i) => JSON.stringify({ title: folderName(i), kind: KIND, projectPath }));
      const latencies: number[] = [];
      const started = performance.now();
      for (const body of bodies) {
        if (isInterrupted()) throw new Error('interrupted');
        const sent = performance.now();
        const answer = await call(server, 'POST', '/sessions', body);
        latencies.push(performance.now() - sent);
        if (answer.status !== 201) throw new Error(`POST /sessions answered ${answer.status}: ${answer.text.slice(0, 300)}`);
      }
      const elapsedMs = performance.now() - started;
      latencies.sort((a, b) => a - b);
      return { round, rate: (items / elapsedMs) * 1000, elapsedMs, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
    });

  /** Health under a light load for `seconds` (or, with `until`, in back-to-back runs until it says stop); latencies with their arrival time. */
  async function healthLoad(server: Server, seconds: number, until?: () => boolean): Promise<{ at: number[]; latency: number[]; bad: number }> {
    const out = { at: [] as number[], latency: [] as number[], bad: 0 };
    const options = { url: `${server.baseUrl}/health`, headers: { authorization: `Bearer ${server.token}` }, connections: 1, ...(healthRate > 0 ? { overallRate: healthRate } : {}) };
    const onResponse = (status: number, latency: number) => {
      if (status !== 200) out.bad += 1;
      else {
        out.at.push(performance.now());
        out.latency.push(latency);
      }
    };
    if (!until) {
      const result = await runLoad(autocannon, { ...options, duration: seconds }, onResponse);
      out.bad += result.errors + result.timeouts;
      return out;
    }
    while (!until() && !isInterrupted()) {
      const result = await runLoad(autocannon, { ...options, duration: HEALTH_CHUNK_S }, onResponse);
      out.bad += result.errors + result.timeouts;
    }
    return out;
  }

  /** POST /import of `paths`, polled until done; the health load runs meanwhile when `health` is set. */
  async function importOnce(server: Server, paths: string[], generatePreviews: boolean, health: boolean) {
    const body = JSON.stringify({ generatePreviews, items: paths.map((projectPath) => ({ projectPath })) });
    let doneAt = NaN;
    const healthDuring = health ? healthLoad(server, 0, () => !Number.isNaN(doneAt)) : null;
    const sentAt = performance.now();
    const posted = await call(server, 'POST', '/import', body);
    if (posted.status !== 202) throw new Error(`POST /import answered ${posted.status}: ${posted.text.slice(0, 300)}`);
    const acceptedMs = performance.now() - sentAt;
    const importId = (JSON.parse(posted.text) as { data: { importId: string } }).data.importId;
    let polls = 0;
    try {
      for (;;) {
        if (isInterrupted()) throw new Error('interrupted');
        if (performance.now() - sentAt > IMPORT_TIMEOUT_MS) throw new Error(`import not done after ${IMPORT_TIMEOUT_MS} ms`);
        await sleep(pollMs);
        polls += 1;
        const polled = await callJson(server, 'GET', pollStatus ? `/import/${importId}` : '/import?limit=1');
        if (polled.status !== 200) throw new Error(`polling the import answered ${polled.status}: ${JSON.stringify(polled.body).slice(0, 300)}`);
        const summary = pollStatus ? polled.body.data : (polled.body.data as Array<{ importId: string; done: boolean }>).find((s) => s.importId === importId);
        if (summary?.done) break;
      }
    } finally {
      doneAt = performance.now();
    }
    const elapsedMs = doneAt - sentAt;
    const during = healthDuring ? await healthDuring : null;
    const final = await callJson(server, 'GET', `/import/${importId}`);
    if (final.status !== 200) throw new Error(`GET /import/${importId} answered ${final.status}`);
    const status = final.body.data as { total: number; completed: number; failed: number; skipped: number; done: boolean; durationMs: number; items: Array<{ outcome: string; reason?: string }> };
    if (status.completed !== paths.length || status.items.length !== paths.length) {
      const reasons = [...new Set(status.items.filter((i) => i.outcome !== 'created').map((i) => `${i.outcome}: ${i.reason}`))].slice(0, 3);
      throw new Error(`import: ${status.completed} created, ${status.failed} failed, ${status.skipped} skipped of ${paths.length}, ${status.items.length} results (${reasons.join('; ')})`);
    }
    return { elapsedMs, acceptedMs, durationMs: status.durationMs, polls, during, doneAt };
  }

  const importRound = (round: number) =>
    withServer(`import-round${round}`, async (server): Promise<ImportResult> => {
      await healthLoad(server, HEALTH_WARMUP_S);
      const idle = await healthLoad(server, idleSeconds);
      if (isInterrupted()) throw new Error('interrupted');
      const run = await importOnce(server, folders, false, true);
      const during = run.during!;
      const inWindow = during.latency.filter((_, i) => during.at[i] <= run.doneAt);
      return {
        round,
        rate: (items / run.elapsedMs) * 1000,
        elapsedMs: run.elapsedMs,
        durationMs: run.durationMs,
        idle: statsOf(idle.latency, idle.bad),
        during: statsOf(inWindow, during.bad),
        polls: run.polls,
        serverPeakMb: memoryOf(server.child.process.pid!)?.peakMb ?? NaN,
      };
    });

  const postResults: PostsResult[] = [];
  const importResults: ImportResult[] = [];
  for (let round = 1; round <= rounds && !isInterrupted(); round += 1) {
    const order = round % 2 === 1 ? (['posts', 'import'] as const) : (['import', 'posts'] as const);
    for (const step of order) {
      if (isInterrupted()) break;
      if (step === 'posts') {
        const r = await posts(round);
        postResults.push(r);
        process.stdout.write(
          `  round ${round} posts   ${fmt(r.rate).padStart(6)} items/s  (${fmt(r.elapsedMs)} ms; per request p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms)  load average ${loadavg()[0].toFixed(2)}\n`,
        );
      } else {
        const r = await importRound(round);
        importResults.push(r);
        process.stdout.write(
          `  round ${round} import  ${fmt(r.rate).padStart(6)} items/s  (POST → done seen ${fmt(r.elapsedMs)} ms, server durationMs ${r.durationMs}, ${r.polls} polls); ` +
            `health idle p50 ${fmt(r.idle.p50, 2)} / p99 ${fmt(r.idle.p99, 2)} ms (${r.idle.count}), during p50 ${fmt(r.during.p50, 2)} / p99 ${fmt(r.during.p99, 2)} / max ${fmt(r.during.max, 1)} ms (${r.during.count}); ` +
            `server VmHWM ${fmt(r.serverPeakMb)} MB  load average ${loadavg()[0].toFixed(2)}\n`,
        );
      }
    }
  }
  removeTempDir(projectsDir);

  let previews: { rate: number; elapsedMs: number; durationMs: number } | null = null;
  if (previewItems > 0 && !isInterrupted()) {
    const previewDir = makeTempDir('sessiondock-importbench-previews-');
    const previewFolders = generateFolders(previewDir, previewItems, true);
    const run = await withServer('previews', (server) => importOnce(server, previewFolders, true, false));
    previews = { rate: (previewItems / run.elapsedMs) * 1000, elapsedMs: run.elapsedMs, durationMs: run.durationMs };
    process.stdout.write(`  previews import ${fmt(previews.rate).padStart(6)} items/s  (${previewItems} items, POST → done seen ${fmt(run.elapsedMs)} ms, server durationMs ${run.durationMs})\n`);
    removeTempDir(previewDir);
  }

  return report(postResults, importResults, previews, items, previewItems);
}

function report(
  postResults: PostsResult[],
  importResults: ImportResult[],
  previews: { rate: number; elapsedMs: number; durationMs: number } | null,
  items: number,
  previewItems: number,
): number {
  if (postResults.length === 0 || importResults.length === 0) {
    process.stdout.write('\nno complete round: nothing to compare\n');
    return 1;
  }
  const roundsDone = importResults.map((r) => r.round).filter((round) => postResults.some((p) => p.round === round));
  const postOf = (round: number) => postResults.find((r) => r.round === round);
  const importOf = (round: number) => importResults.find((r) => r.round === round);
  const cells = (of: (round: number) => string) => roundsDone.map(of);

  const rateRatios = roundsDone.map((round) => importOf(round)!.rate / postOf(round)!.rate);
  const p99Ratios = importResults.map((r) => r.during.p99 / r.idle.p99);
  const rateRatio = median(rateRatios);
  const p99Ratio = median(p99Ratios);
  const med = (values: number[], digits = 0) => fmt(median(values), digits);
  const rows: string[][] = [
    [`sequential POST /sessions, items/s`, ...cells((r) => fmt(postOf(r)!.rate)), med(postResults.map((r) => r.rate)), '', ''],
    [`  its request p50 / p99 ms`, ...cells((r) => `${fmt(postOf(r)!.p50, 2)} / ${fmt(postOf(r)!.p99, 2)}`), `${med(postResults.map((r) => r.p50), 2)} / ${med(postResults.map((r) => r.p99), 2)}`, '', ''],
    [`import (no previews), items/s (POST → done)`, ...cells((r) => fmt(importOf(r)!.rate)), med(importResults.map((r) => r.rate)), '', ''],
    [`  server durationMs`, ...cells((r) => String(importOf(r)!.durationMs)), med(importResults.map((r) => r.durationMs)), '', ''],
    [`import / sequential POST rate`, ...cells((r) => fmt(importOf(r)!.rate / postOf(r)!.rate, 2)), fmt(rateRatio, 2), `≥ ${TARGET_RATE_RATIO}`, rateRatio >= TARGET_RATE_RATIO ? 'met' : 'NOT MET'],
    [`GET /health idle, p50 / p99 ms`, ...cells((r) => `${fmt(importOf(r)!.idle.p50, 2)} / ${fmt(importOf(r)!.idle.p99, 2)}`), `${med(importResults.map((r) => r.idle.p50), 2)} / ${med(importResults.map((r) => r.idle.p99), 2)}`, '', ''],
    [`GET /health during import, p50 / p99 ms`, ...cells((r) => `${fmt(importOf(r)!.during.p50, 2)} / ${fmt(importOf(r)!.during.p99, 2)}`), `${med(importResults.map((r) => r.during.p50), 2)} / ${med(importResults.map((r) => r.during.p99), 2)}`, '', ''],
    [`  during: max ms (responses)`, ...cells((r) => `${fmt(importOf(r)!.during.max, 1)} (${importOf(r)!.during.count})`), '', '', ''],
    [`health p99 during / idle`, ...cells((r) => fmt(importOf(r)!.during.p99 / importOf(r)!.idle.p99, 2)), fmt(p99Ratio, 2), `≤ ${TARGET_P99_RATIO}`, p99Ratio <= TARGET_P99_RATIO ? 'met' : 'NOT MET'],
  ];
  if (previews) rows.push([`import of ${previewItems} with generatePreviews, items/s`, ...cells(() => ''), `${fmt(previews.rate)} (durationMs ${previews.durationMs})`, '', '']);
  process.stdout.write(
    `\n${items} items per run; load average now ${loadavg().map((v) => v.toFixed(2)).join(' ')}:\n` +
      formatTable(['measure', ...roundsDone.map((r) => `round ${r}`), 'median', 'target', 'check'], rows, (i) => i >= 1 && i <= roundsDone.length + 1),
  );
  const bad = importResults.filter((r) => r.idle.bad > 0 || r.during.bad > 0);
  if (bad.length > 0) process.stdout.write(`\nWARNING: health answered non-200 or failed in round(s) ${bad.map((r) => r.round).join(', ')}\n`);
  return bad.length > 0 || roundsDone.length < Math.max(postResults.length, importResults.length) ? 1 : 0;
}

runMain('import bench', main);
