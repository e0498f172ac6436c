/**
 * Short search terms over a catalogue of many distinct words (issue 17, finding 4): 100,000
 * sessions whose notes hold a million distinct made-up words, seeded straight into a fresh log,
 * then our server started on it (child process, 127.0.0.1, port 0) and loaded with autocannon.
 *
 *   node dist/bench/search-terms.js [--sessions N --words-per-session W --rounds R --duration S
 *                                    --warmup S --connections C --seed N]
 *
 * 1. Seeding: W words of 5-10 random letters per session's notes (nearly all distinct), appended
 *    through the real log in concurrent chunks; timed.
 * 2. Start-up, then the first search, which builds the word index a slice per event-loop turn
 *    (timed, with the slowest /health answer while it runs); the server's RSS after it.
 * 3. Load, interleaved and repeated: GET /health, q=a, q=q, 32 two-letter terms, and a
 *    three-letter term; latencies per response at sub-millisecond precision. Target: each
 *    search's p99 at most 20x the health p99 of the same round.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { newSessionData } from '../src/commands/create-session';
import { appendCatalogue, seededRandom, SEED_CHUNK, type SeedSession } from './catalogue';
import {
  childEnv,
  cpuMsOf,
  ensureServerBuild,
  findProjectRoot,
  formatTable,
  isInterrupted,
  loadAutocannon,
  makeTempDir,
  median,
  memoryOf,
  percentile,
  runLoad,
  runMain,
  startChild,
  stopChild,
  tokenFor,
  type Autocannon,
} from './harness';

const TARGET_P99_RATIO = 20;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/** 32 distinct two-letter terms: the most `q` may hold. */
const TWO_LETTER_TERMS = Array.from({ length: 32 }, (_, index) => LETTERS[index % 26] + LETTERS[(index * 7 + 3) % 26]);

const ms = (value: number) => `${value.toFixed(0)} ms`;

interface QuerySpec {
  name: string;
  path: string;
}

const QUERIES: QuerySpec[] = [
  { name: 'health', path: '/health' },
  { name: 'q=a', path: '/sessions?q=a' },
  { name: 'q=q', path: '/sessions?q=q' },
  { name: '32 two-letter terms', path: `/sessions?q=${encodeURIComponent(TWO_LETTER_TERMS.join(' '))}` },
  { name: 'q=qzx', path: '/sessions?q=qzx' },
];

interface Row {
  round: number;
  query: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  cpuPerRequest: number;
}

function catalogueOf(sessions: number, wordsPerSession: number, seed: number, now: number): SeedSession[] {
  const random = seededRandom(seed);
  const word = () => {
    let text = '';
    const length = 5 + Math.floor(random() * 6);
    for (let index = 0; index < length; index += 1) text += LETTERS[Math.floor(random() * 26)];
    return text;
  };
  return Array.from({ length: sessions }, (_, index) => ({
    created: newSessionData({ title: `Session ${index}`, notes: Array.from({ length: wordsPerSession }, word).join(' '), tags: [`set${index % 50}`] }),
    createdAt: new Date(now - (sessions - index) * 1000).toISOString(),
  }));
}

async function getJson(url: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

async function measure(autocannon: Autocannon, url: string, headers: Record<string, string>, connections: number, warmup: number, duration: number, pid: number) {
  if (warmup > 0) await runLoad(autocannon, { url, headers, connections, duration: warmup });
  const latencies: number[] = [];
  const cpuBefore = cpuMsOf(pid);
  const result = await runLoad(autocannon, { url, headers, connections, duration }, (status, latency) => {
    if (status === 200) latencies.push(latency);
  });
  const cpu = cpuMsOf(pid) - cpuBefore;
  latencies.sort((a, b) => a - b);
  return {
    rps: result.requests.average,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuPerRequest: (cpu * 1000) / Math.max(1, result.requests.total),
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      sessions: { type: 'string', default: '100000' },
      'words-per-session': { type: 'string', default: '10' },
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      connections: { type: 'string', default: '10' },
      seed: { type: 'string', default: '20261207' },
    },
    strict: true,
  });
  const sessions = Number(values.sessions);
  const wordsPerSession = Number(values['words-per-session']);
  const rounds = Number(values.rounds);
  const duration = Number(values.duration);
  const warmup = Number(values.warmup);
  const connections = Number(values.connections);
  const seed = Number(values.seed);
  for (const [name, value] of Object.entries({ sessions, wordsPerSession, rounds, duration, connections, seed })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  }
  if (!Number.isFinite(warmup) || warmup < 0) throw new Error('--warmup must be a number of seconds ≥ 0');

  const root = findProjectRoot();
  ensureServerBuild(root);
  const bin = join(root, 'bin', 'sessiondock.js');
  const autocannon = loadAutocannon(root);
  process.stdout.write(
    `search-terms bench: ${sessions} sessions × ${wordsPerSession} made-up note words; ${rounds} rounds of ${QUERIES.map((query) => query.name).join(', ')}, interleaved; ` +
      `${connections} connections, ${warmup} s warm-up + ${duration} s measured each\nnode ${process.version}; load average before: ${loadavg().map((value) => value.toFixed(1)).join(' ')}\n\n`,
  );

  // 1. Seed.
  const now = Date.now();
  const dataDir = makeTempDir('sessiondock-searchbench-');
  let catalogue = catalogueOf(sessions, wordsPerSession, seed, now);
  const distinct = new Set<string>();
  for (const session of catalogue) for (const word of session.created.notes.split(' ')) distinct.add(word);
  const distinctWords = distinct.size;
  distinct.clear();
  const seedStart = performance.now();
  const seeded = await appendCatalogue(join(dataDir, 'log'), catalogue);
  const seedMs = performance.now() - seedStart;
  catalogue = [];
  process.stdout.write(`seeding: ${sessions} sessions, ${distinctWords} distinct note words, ${seeded.events} events in chunks of ${SEED_CHUNK}: ${ms(seedMs)}\n`);

  // 2. Start, then the first search (the word index's build).
  const token = tokenFor(root, dataDir);
  const headers = { authorization: `Bearer ${token}` };
  const spawnedAt = performance.now();
  const { child, baseUrl } = await startChild('ours', [bin, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], dataDir, childEnv(), root, 300_000);
  const listeningMs = performance.now() - spawnedAt;
  const pid = child.process.pid!;
  const afterStart = memoryOf(pid);
  let slowestHealthDuringBuild = 0;
  let building = true;
  const probing = (async () => {
    while (building) {
      const started = performance.now();
      await getJson(`${baseUrl}/health`, headers);
      slowestHealthDuringBuild = Math.max(slowestHealthDuringBuild, performance.now() - started);
    }
  })();
  const buildStart = performance.now();
  const first = await getJson(`${baseUrl}/sessions?q=a&limit=1`, headers);
  const buildMs = performance.now() - buildStart;
  building = false;
  await probing;
  if (first.status !== 200) throw new Error(`the first search answered ${first.status}: ${JSON.stringify(first.body).slice(0, 300)}`);
  const afterBuild = memoryOf(pid);
  process.stdout.write(
    `start-up: ${ms(listeningMs)} to listening; RSS ${afterStart?.rssMb.toFixed(0)} MB\n` +
      `first search (q=a, builds the word index a slice per turn): ${ms(buildMs)}, ${first.body.meta.total} matches; slowest /health meanwhile ${slowestHealthDuringBuild.toFixed(1)} ms\n` +
      `RSS after seeding and the index build: ${afterBuild?.rssMb.toFixed(0)} MB (peak ${afterBuild?.peakMb.toFixed(0)} MB)\n`,
  );
  for (const query of QUERIES.slice(1)) {
    const answer = await getJson(`${baseUrl}${query.path}`, headers);
    if (answer.status !== 200) throw new Error(`GET ${query.path} answered ${answer.status}`);
    process.stdout.write(`  ${query.name}: ${answer.body.meta.total} matches\n`);
  }
  process.stdout.write('\n');

  // 3. Load.
  const rows: Row[] = [];
  for (let round = 1; round <= rounds && !isInterrupted(); round += 1) {
    for (const query of QUERIES) {
      if (isInterrupted()) break;
      const row = { round, query: query.name, ...(await measure(autocannon, `${baseUrl}${query.path}`, headers, connections, warmup, duration, pid)) };
      rows.push(row);
      process.stdout.write(`  round ${round} ${query.name.padEnd(20)} ${row.rps.toFixed(0).padStart(6)} req/s  p50 ${row.p50.toFixed(2)} ms  p99 ${row.p99.toFixed(2)} ms  CPU ${row.cpuPerRequest.toFixed(0)} µs/req  (load ${loadavg()[0].toFixed(1)})\n`);
    }
  }
  const afterLoad = memoryOf(pid);
  await stopChild(child);

  const healthOf = (round: number) => rows.find((row) => row.round === round && row.query === 'health')!;
  const ratioOf = (row: Row) => row.p99 / healthOf(row.round).p99;
  process.stdout.write(
    `\n${formatTable(
      ['round', 'query', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'p99 / health p99', `≤ ${TARGET_P99_RATIO}`, 'check'],
      rows.map((row) => [
        String(row.round),
        row.query,
        row.rps.toFixed(0),
        row.p50.toFixed(2),
        row.p99.toFixed(2),
        row.cpuPerRequest.toFixed(0),
        row.query === 'health' ? '-' : ratioOf(row).toFixed(2),
        row.query === 'health' ? '-' : ratioOf(row) <= TARGET_P99_RATIO ? 'met' : 'NOT MET',
        row.non2xx + row.errors > 0 ? `ERRORS: non-2xx ${row.non2xx}, errors ${row.errors}` : 'ok',
      ]),
      (column) => column >= 2 && column <= 6,
    )}\n`,
  );
  const medians = QUERIES.map(({ name }) => {
    const of = rows.filter((row) => row.query === name);
    const ratio = name === 'health' ? NaN : median(of.map(ratioOf));
    return { name, p99: median(of.map((row) => row.p99)), ratio };
  });
  process.stdout.write(
    `medians over ${rounds} rounds:\n${formatTable(
      ['query', 'p99 ms', 'p99 / health p99', `target ≤ ${TARGET_P99_RATIO}`],
      medians.map(({ name, p99, ratio }) => [name, p99.toFixed(2), Number.isNaN(ratio) ? '-' : ratio.toFixed(2), Number.isNaN(ratio) ? '-' : ratio <= TARGET_P99_RATIO ? 'met' : 'NOT MET']),
      (column) => column >= 1 && column <= 2,
    )}\n` +
      `seeding ${ms(seedMs)}; index build ${ms(buildMs)}; RSS after seeding and build ${afterBuild?.rssMb.toFixed(0)} MB, after the load ${afterLoad?.rssMb.toFixed(0)} MB\n`,
  );
  const failed = medians.some(({ ratio }) => ratio > TARGET_P99_RATIO) || rows.some((row) => row.non2xx + row.errors > 0);
  return failed ? 1 : 0;
}

runMain('search-terms bench', main);
