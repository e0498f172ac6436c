/**
 * Reads against a large catalogue: 100,000 sessions seeded straight into a fresh log, then our
 * server started on it (child process, 127.0.0.1, port 0) and loaded with autocannon.
 *
 *   node dist/bench/list-sessions.js [--sessions N --rounds R --duration S --warmup S --connections C
 *                                     --updates N --seed N --queries health,search,recent --cpu-prof DIR
 *                                     --node-options="--max-old-space-size=300"]
 *
 * 1. Seeding: a reproducible catalogue (bench/catalogue.ts) appended through the real log
 *    (`openLevelStore`), in concurrent chunks so group commit batches them; timed.
 * 2. Start-up: spawn to `listening` (the log replayed into the read models) and to the first /health.
 * 3. Load, interleaved and repeated: GET /health, a search (two terms + a tag, sorted by title) and
 *    recent=true; latencies are taken per response at sub-millisecond precision (autocannon's own
 *    histogram keeps whole ms only, too coarse for a loopback health check). Target: each list
 *    query's p50 at most 3x the health p50 of the same round.
 * 4. The server's RSS with the catalogue loaded (target ≤ 400 MB); then a restart on the same data
 *    dir, timed: the server saved its read models at shutdown, so this start loads the snapshot.
 * 5. In-process, no HTTP: the sessions read model built from the same kind of catalogue, then the
 *    time to apply one SessionUpdated (what a PATCH adds to the read model).
 *
 * With --cpu-prof DIR, the server runs under `node --cpu-prof` and writes DIR/list-sessions.cpuprofile
 * (summarise it with `node dist/bench/cpuprofile-summary.js`). Everything is removed on exit.
 */
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { EventMeta, StoredEvent } from '../events/envelope';
import { SessionCreated, SessionOpened, SessionUpdated, type SessionUpdatedData } from '../events/sessions';
import { foldText, searchTextOf } from '../projections/search-text';
import { SessionsProjection } from '../projections/sessions';
import { newSessionId } from '../src/ids';
import { appendCatalogue, DAWS, DAY_MS, finalFields, generateCatalogue, SEED_CHUNK, seededRandom, WORDS, type SeedSession } from './catalogue';
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

const TARGET_P50_RATIO = 3;
const TARGET_RSS_MB = 400;
/** The server's default meaning of recent=true (config recentDays). */
const RECENT_DAYS = 30;
const APPLY_BATCH = 100;

const meta = (at: string): EventMeta => ({ at, requestId: 'seed', actor: 'bench' });
const ms = (value: number) => `${value.toFixed(0)} ms`;

// ---- 1. seeding ----


// ---- the search query: terms and a tag that really match a few hundred sessions ----

interface SearchQuery {
  terms: [string, string];
  tag: string;
  expected: number;
}

/**
 * Looks through the catalogue for a tag held by a few percent of the sessions and two words that,
 * together with it, match closest to 400 sessions (by the read model's own rule: every term a
 * substring of the folded search text).
 */
function pickSearchQuery(catalogue: readonly SeedSession[]): SearchQuery {
  const finals = catalogue.map(finalFields);
  const byTag = new Map<string, number[]>();
  finals.forEach((session, index) => {
    for (const tag of new Set(session.tags.map((t) => t.toLowerCase()))) {
      const list = byTag.get(tag) ?? [];
      list.push(index);
      byTag.set(tag, list);
    }
  });
  const n = catalogue.length;
  const tags = [...byTag]
    .filter(([tag, ids]) => /^[a-z]+$/.test(tag) && ids.length >= 0.02 * n && ids.length <= 0.15 * n)
    .sort((a, b) => Math.abs(a[1].length - 0.06 * n) - Math.abs(b[1].length - 0.06 * n))
    .slice(0, 6);
  const words = [...new Set(WORDS.map(foldText))].filter((word) => /^[a-z]{4,}$/.test(word));
  let best: (SearchQuery & { score: number }) | null = null;
  const goal = Math.min(400, n / 250);
  for (const [tag, ids] of tags) {
    const texts = ids.map((index) => searchTextOf(finals[index]));
    const hits = words
      .filter((word) => !word.includes(tag) && !tag.includes(word))
      .map((word) => ({ word, matches: texts.map((text) => text.includes(word)) }))
      .map((term) => ({ ...term, count: term.matches.filter(Boolean).length }))
      .filter((term) => term.count >= 0.04 * ids.length && term.count <= 0.6 * ids.length)
      .sort((a, b) => b.count - a.count)
      .slice(0, 60);
    for (let a = 0; a < hits.length; a += 1) {
      for (let b = a + 1; b < hits.length; b += 1) {
        if (hits[a].word.includes(hits[b].word) || hits[b].word.includes(hits[a].word)) continue;
        let count = 0;
        for (let i = 0; i < ids.length; i += 1) if (hits[a].matches[i] && hits[b].matches[i]) count += 1;
        const score = Math.abs(count - goal);
        if (!best || score < best.score) best = { terms: [hits[a].word, hits[b].word], tag, expected: count, score };
      }
    }
  }
  if (!best) throw new Error('no tag and terms in the catalogue match a few hundred sessions');
  return { terms: best.terms, tag: best.tag, expected: best.expected };
}

// ---- 2-4. the server under load ----

interface QuerySpec {
  name: 'health' | 'search' | 'recent';
  path: string;
}

interface LoadRow {
  round: number;
  query: QuerySpec['name'];
  rps: number;
  p50: number;
  p99: number;
  acP50: number;
  acP99: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** The server's CPU time per response, µs (from /proc/<pid>/stat; 10 ms ticks). */
  cpuPerRequest: number;
}


async function measure(
  autocannon: Autocannon,
  url: string,
  headers: Record<string, string>,
  connections: number,
  warmup: number,
  duration: number,
  pid: number,
): Promise<Omit<LoadRow, 'round' | 'query'>> {
  if (warmup > 0) await runLoad(autocannon, { url, headers, connections, duration: warmup });
  if (isInterrupted()) throw new Error('interrupted');
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
    acP50: result.latency.p50,
    acP99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    cpuPerRequest: (cpu * 1000) / Math.max(1, result.requests.total),
  };
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

// ---- 5. in-process apply time ----

interface ApplyResult {
  replayEvents: number;
  replayMs: number;
  mixed: { median: number; p99: number; count: number };
  byField: Array<{ field: string; median: number; p99: number; count: number }>;
  heapMb: number;
}

function applyBench(sessions: number, seed: number, updates: number, now: number): ApplyResult {
  const random = seededRandom(seed + 1);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const catalogue = generateCatalogue(sessions, seed, now);
  const projection = new SessionsProjection();
  let position = 0;
  const ids: string[] = [];
  const versions: number[] = [];
  const stored = (index: number, type: string, data: Record<string, unknown>, at: string): StoredEvent => {
    versions[index] += 1;
    position += 1;
    return { position, streamId: ids[index], version: versions[index], type, schemaVersion: 1, data, meta: meta(at), hash: '' };
  };

  // The read model as the server has it after replay: every seeded event, in the same order per session.
  const seedEvents: StoredEvent[] = [];
  catalogue.forEach((session, index) => {
    // Flat, as a stream id parsed from the log or a URL is (a template literal makes a cons string).
    ids.push(JSON.parse(JSON.stringify(newSessionId())) as string);
    versions.push(0);
    seedEvents.push(stored(index, SessionCreated.type, session.created, session.createdAt));
    if (session.update) seedEvents.push(stored(index, SessionUpdated.type, session.update.data, session.update.at));
    if (session.openedAt) seedEvents.push(stored(index, SessionOpened.type, {}, session.openedAt));
  });
  catalogue.length = 0;
  const replayStart = performance.now();
  for (const event of seedEvents) projection.apply(event);
  const replayMs = performance.now() - replayStart;
  const replayEvents = seedEvents.length;
  seedEvents.length = 0;

  // PATCH-like changes, one field (sometimes two) each, built before any timing.
  const statuses = ['draft', 'in-progress', 'mixing', 'review', 'mastered', 'done'];
  const words = (count: number) => Array.from({ length: count }, () => pick(WORDS)).join(' ');
  const changes: Record<string, () => SessionUpdatedData> = {
    title: () => ({ title: `${words(2)} ${Math.floor(random() * 100)}` }),
    status: () => ({ status: pick(statuses) }),
    notes: () => ({ notes: words(40).slice(0, 250) }),
    tags: () => ({ tags: [...new Set(Array.from({ length: 1 + Math.floor(random() * 5) }, () => pick(WORDS.slice(0, 200))))] }),
    client: () => ({ client: random() < 0.2 ? null : `Client ${words(1)}` }),
    kind: () => ({ kind: pick(DAWS).kind }),
    'title+status': () => ({ title: words(3), status: pick(statuses) }),
  };
  const mix: Array<[string, number]> = [['title', 0.25], ['status', 0.3], ['notes', 0.12], ['tags', 0.13], ['client', 0.1], ['kind', 0.05], ['title+status', 0.05]];
  const mixedField = () => {
    let roll = random();
    for (const [field, share] of mix) if ((roll -= share) < 0) return field;
    return 'status';
  };
  let clock = now;
  const updateEvent = (field: string) => {
    clock += 1000;
    return stored(Math.floor(random() * ids.length), SessionUpdated.type, changes[field]() as Record<string, unknown>, new Date(clock).toISOString());
  };
  const timeApplies = (events: StoredEvent[]) => {
    const perApply: number[] = [];
    for (let start = 0; start < events.length; start += APPLY_BATCH) {
      const batch = events.slice(start, start + APPLY_BATCH);
      const began = process.hrtime.bigint();
      for (const event of batch) projection.apply(event);
      perApply.push(Number(process.hrtime.bigint() - began) / 1000 / batch.length);
    }
    perApply.sort((a, b) => a - b);
    return { median: percentile(perApply, 0.5), p99: percentile(perApply, 0.99), count: events.length };
  };

  // Warm-up (JIT), untimed; then the mixed run; then each kind of change on its own.
  for (let i = 0; i < 2000; i += 1) projection.apply(updateEvent(mixedField()));
  const mixed = timeApplies(Array.from({ length: updates }, () => updateEvent(mixedField())));
  const byField = Object.keys(changes).map((field) => ({ field, ...timeApplies(Array.from({ length: Math.max(APPLY_BATCH, Math.floor(updates / 5)) }, () => updateEvent(field))) }));
  if (projection.count() !== ids.length) throw new Error(`the read model holds ${projection.count()} sessions, not ${ids.length}`);
  return { replayEvents, replayMs, mixed, byField, heapMb: process.memoryUsage().heapUsed / 1024 / 1024 };
}

// ---- main ----

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      sessions: { type: 'string', default: '100000' },
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '8' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '10' },
      updates: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '20240601' },
      queries: { type: 'string', default: 'health,search,recent' },
      'cpu-prof': { type: 'string' },
      'node-options': { type: 'string', default: '' },
    },
    strict: true,
  });
  const sessions = Number(values.sessions);
  const rounds = Number(values.rounds);
  const duration = Number(values.duration);
  const warmup = Number(values.warmup);
  const connections = Number(values.connections);
  const updates = Number(values.updates);
  const seed = Number(values.seed);
  for (const [name, value] of Object.entries({ sessions, rounds, duration, connections, updates, seed })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  }
  if (!Number.isFinite(warmup) || warmup < 0) throw new Error('--warmup must be a number of seconds ≥ 0');
  const wanted = new Set(values.queries.split(',').map((name) => name.trim()));
  for (const name of wanted) if (!['health', 'search', 'recent'].includes(name)) throw new Error(`--queries: unknown query ${name} (health, search, recent)`);
  if (!wanted.has('health')) throw new Error('--queries must include health: the ratios are to its p50');
  const cpuProfDir = values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined;
  /** Extra flags for the server's node (e.g. --max-old-space-size=300), both starts. */
  const nodeOptions = values['node-options'].split(/\s+/).filter(Boolean);

  const root = findProjectRoot();
  ensureServerBuild(root);
  const bin = join(root, 'bin', 'sessiondock.js');
  const autocannon = loadAutocannon(root);
  process.stdout.write(
    `list-sessions bench: ${sessions} sessions; ${rounds} rounds of ${[...wanted].join(', ')}, interleaved; ${connections} connections, ` +
      `${warmup} s warm-up + ${duration} s measured each\nproject: ${root}\nnode ${process.version}` +
      `${cpuProfDir ? `; the server runs with --cpu-prof into ${cpuProfDir}` : ''}${nodeOptions.length > 0 ? `; server node options: ${nodeOptions.join(' ')}` : ''}\nload average before: ${loadavg().map((value) => value.toFixed(1)).join(' ')} (other work on this machine skews every figure)\n\n`,
  );

  // 1. Seed a fresh data dir.
  const now = Date.now();
  const dataDir = makeTempDir('sessiondock-listbench-');
  const generatedAt = performance.now();
  let catalogue: SeedSession[] = generateCatalogue(sessions, seed, now);
  const generateMs = performance.now() - generatedAt;
  const seedStart = performance.now();
  const seeded = await appendCatalogue(join(dataDir, 'log'), catalogue);
  const seedMs = performance.now() - seedStart;
  const search = pickSearchQuery(catalogue);
  const opened = catalogue.filter((session) => session.openedAt !== undefined).length;
  const updated = catalogue.filter((session) => session.update !== undefined).length;
  const recentExpected = catalogue.filter((session) => session.openedAt && Date.parse(session.openedAt) >= now - RECENT_DAYS * DAY_MS).length;
  const notesChars = catalogue.reduce((sum, session) => sum + finalFields(session).notes.length, 0);
  catalogue = [];
  process.stdout.write(
    `seeding: ${sessions} sessions (${updated} updated, ${opened} opened within 60 days, ${recentExpected} of them within ${RECENT_DAYS}; ` +
      `notes ${(notesChars / sessions).toFixed(0)} chars on average) = ${seeded.events} events in ${seeded.batches} chunks of ${SEED_CHUNK} sessions\n` +
      `  generated in ${ms(generateMs)}; appended through the log (group commit, synced) in ${ms(seedMs)} = ${((seeded.events / seedMs) * 1000).toFixed(0)} events/s\n\n`,
  );

  // 2. Start our server on it.
  const token = tokenFor(root, dataDir);
  const headers = { authorization: `Bearer ${token}` };
  const profile = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, '--cpu-prof-name', 'list-sessions.cpuprofile'] : [];
  const spawnedAt = performance.now();
  const { child, baseUrl } = await startChild(
    'ours',
    [...nodeOptions, ...profile, bin, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir],
    dataDir,
    childEnv(),
    root,
    180_000,
  );
  const listeningMs = performance.now() - spawnedAt;
  const health = await getJson(`${baseUrl}/health`, headers);
  const healthMs = performance.now() - spawnedAt;
  if (health.status !== 200) throw new Error(`GET /health answered ${health.status}: ${JSON.stringify(health.body).slice(0, 500)}`);
  const pid = child.process.pid!;
  const log = health.body.data.log as { position: number; sessions: number };
  const afterStart = memoryOf(pid);
  process.stdout.write(
    `start-up: spawn → "listening" (log replayed into the read models) ${ms(listeningMs)}; → first /health 200 ${ms(healthMs)}\n` +
      `  /health: log position ${log.position}, ${log.sessions} sessions; RSS just after start-up ${afterStart?.rssMb.toFixed(0)} MB (peak so far ${afterStart?.peakMb.toFixed(0)} MB)\n\n`,
  );
  if (log.sessions !== sessions || log.position !== seeded.events) {
    throw new Error(`the server holds ${log.sessions} sessions at position ${log.position}, not ${sessions} at ${seeded.events}`);
  }

  // The queries, each checked once before it is loaded.
  const searchPath = `/sessions?q=${encodeURIComponent(search.terms.join(' '))}&tags=${encodeURIComponent(search.tag)}&sort=title&limit=50`;
  const queries: QuerySpec[] = (
    [
      { name: 'health', path: '/health' },
      { name: 'search', path: searchPath },
      { name: 'recent', path: '/sessions?recent=true&limit=10' },
    ] as QuerySpec[]
  ).filter((query) => wanted.has(query.name));
  const searchCheck = await getJson(`${baseUrl}${searchPath}`, headers);
  if (searchCheck.status !== 200) throw new Error(`GET ${searchPath} answered ${searchCheck.status}`);
  const searchTotal = searchCheck.body.meta.total as number;
  const titles = (searchCheck.body.data as Array<{ title: string }>).map((session) => foldText(session.title));
  const sortedOk = titles.every((title, i) => i === 0 || titles[i - 1] <= title);
  process.stdout.write(
    `search: GET /api/v1${searchPath}\n  meta.total ${searchTotal} (the catalogue says ${search.expected}${searchTotal === search.expected ? ', agrees' : ', DISAGREES'}); ` +
      `${titles.length} items, ${sortedOk ? 'in title order' : 'NOT in title order'}\n`,
  );
  const recentCheck = await getJson(`${baseUrl}/sessions?recent=true&limit=10`, headers);
  if (recentCheck.status !== 200) throw new Error(`GET /sessions?recent=true answered ${recentCheck.status}`);
  const recentItems = recentCheck.body.data as Array<{ lastOpened: string | null }>;
  const recentOk = recentItems.length === 10 && recentItems.every((session, i) => session.lastOpened !== null && (i === 0 || recentItems[i - 1].lastOpened! >= session.lastOpened));
  process.stdout.write(
    `recent: GET /api/v1/sessions?recent=true&limit=10\n  meta.total ${recentCheck.body.meta.total} (about ${recentExpected} expected); ` +
      `${recentItems.length} items, ${recentOk ? 'last opened first' : 'NOT last opened first'}\n\n`,
  );

  // 3. Load, interleaved: health, search, recent; health, search, recent; ...
  const rows: LoadRow[] = [];
  for (let round = 1; round <= rounds && !isInterrupted(); round += 1) {
    for (const query of queries) {
      if (isInterrupted()) break;
      const row = { round, query: query.name, ...(await measure(autocannon, `${baseUrl}${query.path}`, headers, connections, warmup, duration, pid)) };
      rows.push(row);
      process.stdout.write(
        `  round ${round} ${query.name.padEnd(7)} ${row.rps.toFixed(0).padStart(6)} req/s  p50 ${row.p50.toFixed(2)} ms  p99 ${row.p99.toFixed(2)} ms  ` +
          `server CPU ${row.cpuPerRequest.toFixed(0)} µs/req  non-2xx ${row.non2xx}  (load average ${loadavg()[0].toFixed(1)})\n`,
      );
    }
  }

  // 4. Memory with the catalogue loaded, after the load.
  const afterLoad = memoryOf(pid);
  const stoppingAt = performance.now();
  await stopChild(child);
  const stopMs = performance.now() - stoppingAt;

  // A second start on the same data dir: the server saves its read models at shutdown, so this
  // one loads that snapshot instead of replaying the whole log.
  let restart: { listeningMs: number; healthMs: number; rssMb: number | undefined } | null = null;
  if (!isInterrupted()) {
    const restartedAt = performance.now();
    const second = await startChild('ours (restart)', [...nodeOptions, bin, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], dataDir, childEnv(), root, 180_000);
    const restartListening = performance.now() - restartedAt;
    const again = await getJson(`${second.baseUrl}/health`, headers);
    const restartHealth = performance.now() - restartedAt;
    if (again.status !== 200 || again.body.data.log.sessions !== sessions) throw new Error(`the restarted server answered /health ${again.status} with ${JSON.stringify(again.body).slice(0, 300)}`);
    restart = { listeningMs: restartListening, healthMs: restartHealth, rssMb: memoryOf(second.child.process.pid!)?.rssMb };
    await stopChild(second.child);
  }

  const report = reportLoad(rows);
  const rssMet = afterLoad !== null && afterLoad.rssMb <= TARGET_RSS_MB;
  process.stdout.write(
    `\nserver memory with ${sessions} sessions loaded, after the load: VmRSS ${afterLoad?.rssMb.toFixed(0)} MB (peak VmHWM ${afterLoad?.peakMb.toFixed(0)} MB)  ` +
      `target ≤ ${TARGET_RSS_MB} MB: ${rssMet ? 'met' : 'NOT MET'}\n`,
  );

  process.stdout.write(
    `\nstart-up (cold, whole log replayed): ${ms(listeningMs)} to listening, ${ms(healthMs)} to first /health; shutdown (SIGTERM, snapshot saved) ${ms(stopMs)}\n` +
      (restart
        ? `restart on the same data dir (read models from the shutdown snapshot): ${ms(restart.listeningMs)} to listening, ${ms(restart.healthMs)} to first /health; RSS after it ${restart.rssMb?.toFixed(0)} MB\n`
        : ''),
  );

  // 5. In-process: the time one SessionUpdated takes to apply to the read model.
  process.stdout.write(`\nin-process read model (no HTTP): building it from ${sessions} sessions, then ${updates} SessionUpdated events ...\n`);
  const apply = applyBench(sessions, seed, updates, now);
  process.stdout.write(
    `  built from ${apply.replayEvents} events in ${ms(apply.replayMs)} (${((apply.replayMs * 1000) / apply.replayEvents).toFixed(1)} µs/event); ` +
      `heap used ${apply.heapMb.toFixed(0)} MB\n` +
      `  one SessionUpdated, mixed fields: median ${apply.mixed.median.toFixed(1)} µs, p99 ${apply.mixed.p99.toFixed(1)} µs per apply ` +
      `(over ${apply.mixed.count / APPLY_BATCH} batches of ${APPLY_BATCH})\n\n`,
  );
  process.stdout.write(
    formatTable(
      ['change', 'applies', 'median µs/apply', 'p99 µs/apply'],
      [
        ['mixed', String(apply.mixed.count), apply.mixed.median.toFixed(1), apply.mixed.p99.toFixed(1)],
        ...apply.byField.map((row) => [row.field, String(row.count), row.median.toFixed(1), row.p99.toFixed(1)]),
      ],
      (i) => i >= 1,
    ),
  );

  process.stdout.write(
    `\nsummary: seeding ${ms(seedMs)}; start-up ${ms(listeningMs)} to listening, ${ms(healthMs)} to first /health` +
      `${restart ? ` (from the snapshot: ${ms(restart.healthMs)})` : ''}; ` +
      `${report.summary}; RSS ${afterLoad?.rssMb.toFixed(0)} MB (${rssMet ? 'met' : 'NOT MET'}); ` +
      `SessionUpdated apply median ${apply.mixed.median.toFixed(1)} µs, p99 ${apply.mixed.p99.toFixed(1)} µs\n`,
  );
  const problems = [
    ...(searchTotal === search.expected ? [] : ['the search total disagrees with the catalogue']),
    ...(sortedOk && recentOk ? [] : ['a list came back in the wrong order']),
    ...(report.errors ? ['some runs had non-2xx responses or connection errors'] : []),
  ];
  if (problems.length > 0) process.stdout.write(`\nWARNING: ${problems.join('; ')}\n`);
  return problems.length > 0 ? 1 : 0;
}

function reportLoad(rows: LoadRow[]): { summary: string; errors: boolean } {
  const healthOf = (round: number) => rows.find((row) => row.round === round && row.query === 'health');
  const ratioOf = (row: LoadRow) => (row.query === 'health' ? NaN : row.p50 / (healthOf(row.round)?.p50 ?? NaN));
  const flagged = (row: LoadRow) => row.non2xx > 0 || row.errors > 0 || row.timeouts > 0;
  const table = rows.map((row) => {
    const ratio = ratioOf(row);
    return [
      String(row.round),
      row.query,
      row.rps.toFixed(0),
      row.p50.toFixed(2),
      row.p99.toFixed(2),
      `${row.acP50}/${row.acP99}`,
      row.cpuPerRequest.toFixed(0),
      row.query === 'health' ? '-' : ratio.toFixed(2),
      row.query === 'health' ? '-' : ratio <= TARGET_P50_RATIO ? 'met' : 'NOT MET',
      flagged(row) ? `ERRORS: non-2xx ${row.non2xx}, conn errors ${row.errors}, timeouts ${row.timeouts}` : `${row.total} × 200`,
    ];
  });
  const header = ['round', 'query', 'req/s', 'p50 ms', 'p99 ms', 'autocannon p50/p99 (whole ms)', 'server CPU µs/req', `p50 / health p50`, `≤ ${TARGET_P50_RATIO}`, 'check'];
  process.stdout.write(`\n${formatTable(header, table, (i) => i >= 2 && i <= 7)}\n`);

  const summaries: string[] = [];
  const medianRows: string[][] = [];
  for (const query of ['health', 'search', 'recent'] as const) {
    const of = rows.filter((row) => row.query === query);
    if (of.length === 0) continue;
    const ratios = of.map(ratioOf);
    const ratio = median(ratios);
    const met = ratio <= TARGET_P50_RATIO;
    medianRows.push([
      query,
      median(of.map((row) => row.rps)).toFixed(0),
      median(of.map((row) => row.p50)).toFixed(2),
      median(of.map((row) => row.p99)).toFixed(2),
      query === 'health' ? '-' : `${ratio.toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`,
      query === 'health' ? '-' : met ? 'met' : 'NOT MET',
    ]);
    if (query !== 'health') summaries.push(`${query} p50 ${ratio.toFixed(2)}x health (${met ? 'met' : 'NOT MET'})`);
  }
  process.stdout.write(
    `medians over ${Math.max(...rows.map((row) => row.round))} rounds:\n` +
      formatTable(['query', 'req/s', 'p50 ms', 'p99 ms', 'p50 / health p50 (range)', `target ≤ ${TARGET_P50_RATIO}`], medianRows, (i) => i >= 1 && i <= 4),
  );
  return { summary: summaries.join(', '), errors: rows.some(flagged) };
}

runMain('list-sessions bench', main);
