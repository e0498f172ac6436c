/**
 * Replaying the log (issue 4's benchmark): projection rebuild throughput against a bare scan of the
 * same LevelDB log, and cold start with a read-model snapshot against without one.
 *
 *   node dist/bench/log-replay.js [--events N] [--sessions N] [--rounds R] [--data-dir D [--keep]]
 *                                 [--window N] [--seed N] [--cpu-prof DIR]
 *
 * 1. Seeding: N events (default 1,000,000) over S sessions (default 100,000) appended through the
 *    real EventLog (hashes, stream index and heads are real), W appends in flight (default 2,000) so
 *    group commit batches them: SessionCreated (realistic data from bench/catalogue.ts), then a mix
 *    of SessionUpdated (status/title/client/accent/kind/path), SessionNotesReplaced,
 *    SessionTagsReplaced, SessionOpened and a few SessionDeleted, in log-time order. With
 *    `--data-dir D --keep` the data dir is kept and a later run reuses it (it seeds only an empty log).
 * 2. Scan vs rebuild, R rounds (default 3) interleaved, after one untimed warm-up scan (page cache):
 *    (a) bare scan: `level` opened on the log, values({gt:'e!', lt:'e"'}) with nextv(1000) (pages of
 *        up to 1 MiB, as the log reads them: classic-level's 16 KiB default stops at ~40 events) and
 *        JSON.parse per value, nothing else;
 *    (b) in-process rebuild: EventLog.open + `new ProjectionRunner(store, createReadModels().all,
 *        { ignoreSavedSnapshots: true })`, timing `start()`;
 *    (c) the CLI: `node bin/sessiondock.js rebuild --data-dir D`, its own printed events/s.
 *    (a) and (b) each run in a fresh node process of this script (`--worker scan|rebuild`): same kind
 *    of process, fresh heap, nothing left over from the previous measurement. The ratio against the
 *    target (≥ 0.5) is (b)/(a) of the same round: like with like; (c)/(a) is printed beside it.
 * 3. Cold start, R rounds interleaved: spawn of `serve --port 0 --host 127.0.0.1 --data-dir D` to the
 *    first 200 from GET /api/v1/health, (i) with the snapshot a previous SIGTERM (or `rebuild`)
 *    left, (ii) with the snapshots directory moved aside (it is put back after). VmRSS of the
 *    server just after that first 200. Target: with ≤ 0.1 × without. Then, at once, the first
 *    page of GET /sessions: from a snapshot, a list right after the start waits for the sessions
 *    still unparsed and for the order's index (what the start no longer does before serving).
 *
 * With --cpu-prof DIR, one more in-process rebuild, one more scan and one in-process `startServer`
 * with the snapshot (`--worker start`: out before shutdown, so no snapshot save in the profile) run
 * under `node --cpu-prof` and are summarised with bench/cpuprofile-summary.js (µs per event).
 *
 * Only 127.0.0.1; every child is bounded by a timeout and killed on every exit path; a temp data
 * dir (or a --data-dir this run created) is removed at exit unless --keep.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readSync, closeSync, renameSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Level } from 'level';
import type { EventMeta, NewEvent } from '../events/envelope';
import { createReadModels } from '../projections/read-models';
import { ProjectionRunner } from '../projections/runner';
import { SnapshotFiles } from '../projections/snapshots';
import { normaliseTags } from '../src/commands/normalise';
import { newSessionId } from '../src/ids';
import { loadConfig } from '../src/config';
import type { Logger } from '../src/log';
import { logDirectory, snapshotDirectory, startServer } from '../src/server';
import { EventLog, LevelBackend } from '../src/store';
import { PAGE_BYTES } from '../src/store/level-backend';
import { DAWS, generateCatalogue, seededRandom, WORDS } from './catalogue';
import {
  assertLoopback,
  childEnv,
  ensureServerBuild,
  findProjectRoot,
  formatTable,
  isInterrupted,
  makeTempDir,
  median,
  memoryOf,
  onCleanup,
  runMain,
  startChild,
  stopChild,
  tokenFor,
} from './harness';

const TARGET_SCAN_RATIO = 0.5;
const TARGET_START_RATIO = 0.1;
const PAGE = 1000;
const WORKER_TIMEOUT_MS = 15 * 60_000;
const START_TIMEOUT_MS = 15 * 60_000;
const HEALTH_DEADLINE_MS = 30_000;
const HEALTH_POLL_MS = 5;
const DAY_MS = 86_400_000;

const mb = (bytes: number) => bytes / 1024 / 1024;
const fmt = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const rate = (events: number, ms: number) => (events / ms) * 1000;
const out = (text: string) => process.stdout.write(text);

// ---------------------------------------------------------------------------------------------
// Child processes this file starts itself (the servers go through the harness): tracked by pid,
// bounded by a timeout, SIGKILLed on any exit path.
// ---------------------------------------------------------------------------------------------

const ownChildren = new Set<ChildProcess>();
const killOwnChildren = () => {
  for (const child of ownChildren) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  ownChildren.clear();
};
process.on('exit', killOwnChildren);
onCleanup(killOwnChildren);

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

function runNode(name: string, args: string[], cwd: string, timeoutMs: number): Promise<ChildRun> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    ownChildren.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-8000)));
    const timer = setTimeout(() => {
      process.stderr.write(`${name} (pid ${child.pid}) ran over ${timeoutMs} ms: SIGKILL\n`);
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      ownChildren.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      ownChildren.delete(child);
      resolvePromise({ code, signal, stdout, stderr, wallMs: performance.now() - started });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Workers: one measurement each, in a fresh process, printing one RESULT line.
// ---------------------------------------------------------------------------------------------

interface ScanResult {
  events: number;
  openMs: number;
  ms: number;
  rssMb: number;
}

interface RebuildResult {
  events: number;
  openMs: number;
  ms: number;
  sessions: number;
  rssMb: number;
  heapMb: number;
}

/** The bare scan: the log's LevelDB, values of the event keys, nextv(1000), JSON.parse each. */
async function scanWorker(dataDir: string): Promise<ScanResult> {
  const openedAt = performance.now();
  const db = new Level<string, string>(logDirectory(dataDir), { keyEncoding: 'utf8', valueEncoding: 'utf8', createIfMissing: false });
  await db.open();
  const openMs = performance.now() - openedAt;
  const started = performance.now();
  let events = 0;
  let sink = 0;
  const iterator = db.values({ gt: 'e!', lt: 'e"', highWaterMarkBytes: PAGE_BYTES });
  for (;;) {
    const page = await iterator.nextv(PAGE);
    if (page.length === 0) break;
    for (const value of page) {
      // Read one field so the parse cannot be optimised away.
      sink += (JSON.parse(value) as { position: number }).position;
      events += 1;
    }
  }
  const ms = performance.now() - started;
  await iterator.close();
  await db.close();
  if (sink !== (events * (events + 1)) / 2) throw new Error(`positions are not dense 1..${events}`);
  return { events, openMs, ms, rssMb: mb(process.memoryUsage().rss) };
}

/** The rebuild as `sessiondock rebuild` does it, without the CLI: the log opened, every read model replayed. */
async function rebuildWorker(dataDir: string): Promise<RebuildResult> {
  const openedAt = performance.now();
  const store = await EventLog.open(new LevelBackend(logDirectory(dataDir)));
  const openMs = performance.now() - openedAt;
  try {
    const models = createReadModels();
    const runner = new ProjectionRunner(store, models.all, { ignoreSavedSnapshots: true });
    const started = performance.now();
    await runner.start();
    const ms = performance.now() - started;
    runner.stop();
    const memory = process.memoryUsage();
    return { events: store.head().position, openMs, ms, sessions: models.sessions.count(), rssMb: mb(memory.rss), heapMb: mb(memory.heapUsed) };
  } finally {
    await store.close();
  }
}

interface ServerStartResult {
  ms: number;
  position: number;
  /** The lowest read-model checkpoint once started (the log's head when caught up). */
  checkpoint: number;
  rssMb: number;
}

/**
 * For the profile only: `startServer` in this process (127.0.0.1, port 0) to the point it serves,
 * then out without closing, so the profile holds the start-up and not the snapshot saved at shutdown.
 */
async function serverStartWorker(dataDir: string): Promise<ServerStartResult> {
  const config = loadConfig({ flags: { host: '127.0.0.1', port: 0, dataDir }, env: {} });
  const silent: Logger = { log: () => undefined };
  const started = performance.now();
  const server = await startServer(config, { logger: silent });
  const ms = performance.now() - started;
  return { ms, position: server.store.head().position, checkpoint: Math.min(...Object.values(server.projections.status()).map((status) => status.position)), rssMb: mb(process.memoryUsage().rss) };
}

async function workerMain(): Promise<number> {
  const { values } = parseArgs({ options: { worker: { type: 'string' }, 'data-dir': { type: 'string' } }, strict: true });
  const dataDir = values['data-dir'];
  if (!dataDir) throw new Error('--worker needs --data-dir');
  const workers: Record<string, (dir: string) => Promise<unknown>> = { scan: scanWorker, rebuild: rebuildWorker, start: serverStartWorker };
  const result = Object.hasOwn(workers, values.worker ?? '') ? await workers[values.worker!](dataDir) : null;
  if (!result) throw new Error(`unknown worker ${values.worker}`);
  out(`RESULT ${JSON.stringify(result)}\n`);
  // The start worker leaves its server open on purpose: exit now rather than wait on its handles.
  process.exit(0);
}

async function runWorker<T>(kind: 'scan' | 'rebuild' | 'start', dataDir: string, root: string, nodeFlags: string[] = []): Promise<T> {
  const run = await runNode(`${kind} worker`, [...nodeFlags, __filename, '--worker', kind, '--data-dir', dataDir], root, WORKER_TIMEOUT_MS);
  const line = /^RESULT (.*)$/m.exec(run.stdout);
  if (run.code !== 0 || !line) throw new Error(`${kind} worker failed (${run.code ?? run.signal}):\n${run.stdout}${run.stderr}`);
  return JSON.parse(line[1]) as T;
}

// ---------------------------------------------------------------------------------------------
// 1. Seeding
// ---------------------------------------------------------------------------------------------

const STATUSES = ['draft', 'in-progress', 'mixing', 'review', 'mastered', 'done', 'archived'];
const ACCENTS = ['default', 'red', 'blue', 'green', 'amber', '#ff6600', '#3366cc'];
const CLIENTS = ['Northside Records', 'Blue Room Studio', 'Élodie Martin', 'Jörg Bauer', 'Sofía Ramírez', 'Kite & Kettle', 'Harbor Lights Agency', 'Mika Tanaka', 'Lumen Films', 'Pixel Pond Games'];
const OWNERS = ['alex', 'sam', 'jo', 'mira', 'kenji', 'lucía'];
const TITLE_SUFFIXES = ['final', 'alt mix', 'radio edit', 'v2', 'v3', 'rework', 'extended', 'instrumental'];
/** Share of the non-create events by type (the rest of 1 is SessionOpened). */
const MIX = { SessionUpdated: 0.35, SessionNotesReplaced: 0.18, SessionTagsReplaced: 0.15, SessionDeleted: 0.004 };

interface PlannedEvent {
  streamId: string;
  expectedVersion: number;
  event: NewEvent;
  meta: EventMeta;
}

/**
 * The log to seed, in order, reproducibly from `seed`: creates spread over the whole log (each
 * step is a create with probability creates-left / events-left), the other events aimed half at
 * any live session and half at the 1,000 most recently created (recent work is busier), times
 * rising from three years ago to an hour ago.
 */
function* planLog(events: number, sessions: number, seed: number, now: number, counts: Map<string, number>): Generator<PlannedEvent> {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const hex = (length: number) => {
    let text = '';
    while (text.length < length) text += Math.floor(random() * 0x1_0000_0000).toString(16).padStart(8, '0');
    return text.slice(0, length);
  };
  const uuid = () => {
    const h = hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  };
  const actors = ['token:3f9a0c12be47', 'token:81d2e6a09c5f', 'token:c04b7e3d5a18'];
  const tagWords = WORDS.slice(0, 200);
  const notes = () => {
    if (random() < 0.1) return '';
    const length = 1 + Math.floor(random() * 500);
    let text = '';
    let sentence = 0;
    while (text.length < length) {
      let next = pick(WORDS);
      if (sentence === 0) next = next.charAt(0).toUpperCase() + next.slice(1);
      sentence += 1;
      if (sentence > 4 && random() < 0.25) {
        next += '.';
        sentence = 0;
      } else if (random() < 0.05) next += ` ${60 + Math.floor(random() * 120)} bpm`;
      text += (text ? ' ' : '') + next;
    }
    return text.length > 500 ? text.slice(0, text.lastIndexOf(' ', 500)) : text;
  };
  const tags = () => normaliseTags(Array.from({ length: Math.floor(random() * 7) }, () => pick(tagWords)));

  const catalogue = generateCatalogue(sessions, seed, now);
  const ids: string[] = [];
  const baseTitles: string[] = [];
  const titles: string[] = [];
  const statusOf = new Uint8Array(sessions);
  const version = new Int32Array(sessions);
  /** Live sessions (indexes), and where each one is in that array (for swap-removal on delete). */
  const live: number[] = [];
  const liveAt = new Int32Array(sessions).fill(-1);
  const start = now - 3 * 365 * DAY_MS;
  const step = (now - 3_600_000 - start) / events;
  let created = 0;

  for (let i = 0; i < events; i += 1) {
    const at = new Date(start + i * step).toISOString();
    const meta: EventMeta = { at, requestId: uuid(), actor: actors[Math.min(actors.length - 1, Math.floor((i / events) * actors.length))] };
    const createsLeft = sessions - created;
    if (createsLeft > 0 && (live.length === 0 || random() * (events - i) < createsLeft)) {
      const index = created;
      created += 1;
      const data = catalogue[index].created;
      ids.push(newSessionId());
      baseTitles.push(data.title);
      titles.push(data.title);
      statusOf[index] = Math.max(0, STATUSES.indexOf(data.status));
      version[index] = 1;
      liveAt[index] = live.length;
      live.push(index);
      if (random() < 0.1) {
        meta.idempotencyKey = `create-${hex(16)}`;
        meta.requestHash = hex(64);
      }
      counts.set('SessionCreated', (counts.get('SessionCreated') ?? 0) + 1);
      yield { streamId: ids[index], expectedVersion: 0, event: { type: 'SessionCreated', data }, meta };
      continue;
    }
    if (live.length === 0) break; // every session deleted and none left to create: not with these shares
    const index = random() < 0.5 ? pick(live) : live[live.length - 1 - Math.floor(random() * Math.min(1000, live.length))];
    let roll = random();
    let event: NewEvent;
    if ((roll -= MIX.SessionUpdated) < 0) {
      const data: Record<string, unknown> = {};
      const fields = random() < 0.2 ? 2 : 1;
      for (let f = 0; f < fields; f += 1) {
        const which = random();
        if (which < 0.4) {
          const next = (statusOf[index] + 1 + Math.floor(random() * (STATUSES.length - 1))) % STATUSES.length;
          statusOf[index] = next;
          data.status = STATUSES[next];
        } else if (which < 0.62) {
          let title = titles[index];
          while (title === titles[index]) title = random() < 0.15 ? baseTitles[index] : `${baseTitles[index]} (${pick(TITLE_SUFFIXES)})`;
          titles[index] = title;
          data.title = title;
        } else if (which < 0.8) {
          data.client = random() < 0.2 ? null : pick(CLIENTS);
        } else if (which < 0.9) {
          data.accent = pick(ACCENTS);
        } else if (which < 0.95) {
          data.kind = pick(DAWS).kind;
        } else {
          const daw = pick(DAWS);
          data.projectPath = `/Users/${pick(OWNERS)}/Music/Projects/${titles[index].replace(/[^\p{L}\p{N}]+/gu, ' ').trim()}${daw.extension}`;
        }
      }
      event = { type: 'SessionUpdated', data };
    } else if ((roll -= MIX.SessionNotesReplaced) < 0) {
      event = { type: 'SessionNotesReplaced', data: { notes: notes() } };
    } else if ((roll -= MIX.SessionTagsReplaced) < 0) {
      event = { type: 'SessionTagsReplaced', data: { tags: tags() } };
    } else if ((roll -= MIX.SessionDeleted) < 0 && live.length > 100) {
      event = { type: 'SessionDeleted', data: {} };
      const last = live.pop()!;
      if (last !== index) {
        live[liveAt[index]] = last;
        liveAt[last] = liveAt[index];
      }
      liveAt[index] = -1;
    } else {
      event = { type: 'SessionOpened', data: {} };
    }
    counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
    version[index] += 1;
    yield { streamId: ids[index], expectedVersion: version[index] - 1, event, meta };
  }
}

interface SeedResult {
  events: number;
  ms: number;
  generated: Map<string, number>;
}

/**
 * Appends the planned log through EventLog, `window` appends in flight: each append waits only for
 * the one before it on the same session, so group commit gathers about `window` events per batch.
 */
async function seedLog(dataDir: string, events: number, sessions: number, seed: number, window: number): Promise<SeedResult> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const store = await EventLog.open(new LevelBackend(logDirectory(dataDir)));
  const forget = onCleanup(() => store.close());
  const counts = new Map<string, number>();
  const tails = new Map<string, Promise<void>>();
  let inFlight = 0;
  let wake: (() => void) | null = null;
  let failure: unknown = null;
  let issued = 0;
  let nextReport = events / 10;
  const started = performance.now();
  try {
    for (const planned of planLog(events, sessions, seed, Date.now(), counts)) {
      if (failure) break;
      if (isInterrupted()) throw new Error('interrupted');
      while (inFlight >= window) await new Promise<void>((wakeUp) => (wake = wakeUp));
      inFlight += 1;
      issued += 1;
      const append = () => store.append(planned.streamId, planned.expectedVersion, [planned.event], planned.meta);
      const previous = tails.get(planned.streamId);
      const done: Promise<void> = (previous ? previous.then(append) : append())
        .then(
          () => undefined,
          (error: unknown) => {
            failure ??= error;
          },
        )
        .finally(() => {
          inFlight -= 1;
          if (tails.get(planned.streamId) === done) tails.delete(planned.streamId);
          const waiting = wake;
          wake = null;
          waiting?.();
        });
      tails.set(planned.streamId, done);
      if (issued >= nextReport) {
        nextReport += events / 10;
        const elapsed = performance.now() - started;
        out(`  seeding: ${issued}/${events} appended (${fmt(rate(issued - inFlight, elapsed))} events/s)\n`);
      }
    }
    await Promise.all(tails.values());
    if (failure) throw failure;
    const ms = performance.now() - started;
    return { events: store.head().position, ms, generated: counts };
  } finally {
    forget();
    await store.close();
  }
}

/** The event log's head position, or 0 when there is no log yet (read through EventLog, then closed). */
async function logHead(dataDir: string): Promise<number> {
  if (!existsSync(logDirectory(dataDir))) return 0;
  const store = await EventLog.open(new LevelBackend(logDirectory(dataDir)));
  try {
    return store.head().position;
  } finally {
    await store.close();
  }
}

function sizeOf(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    total += entry.isDirectory() ? sizeOf(full) : statSync(full).size;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// 2. The rebuild CLI
// ---------------------------------------------------------------------------------------------

interface CliRebuild {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  wallMs: number;
  equal: boolean;
}

async function cliRebuild(root: string, dataDir: string): Promise<CliRebuild> {
  const run = await runNode('sessiondock rebuild', [join(root, 'bin', 'sessiondock.js'), 'rebuild', '--data-dir', dataDir], root, WORKER_TIMEOUT_MS);
  const line = /rebuilt .* from (\d+) events in ([\d.]+) s \((\d+) events\/s\)/.exec(run.stdout);
  if (!line || (run.code !== 0 && run.code !== 1)) throw new Error(`sessiondock rebuild failed (${run.code ?? run.signal}):\n${run.stdout}${run.stderr}`);
  return { events: Number(line[1]), seconds: Number(line[2]), eventsPerSecond: Number(line[3]), wallMs: run.wallMs, equal: run.code === 0 && !/DIFFERS/.test(run.stdout) };
}

// ---------------------------------------------------------------------------------------------
// 3. Cold start
// ---------------------------------------------------------------------------------------------

function httpGet(url: string, headers: Record<string, string>, timeoutMs: number): Promise<{ status: number; body: string }> {
  assertLoopback(url);
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { headers, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (text: string) => (body += text));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

interface StartResult {
  withSnapshot: boolean;
  listeningMs: number;
  healthMs: number;
  /** Spawn to the end of the first page of GET /sessions, asked for right after that first 200. */
  firstListMs: number;
  rssMb: number;
  position: number;
  sessions: number;
  polls: number;
}

/**
 * Spawns the server and polls GET /health (every HEALTH_POLL_MS, up to HEALTH_DEADLINE_MS) from the
 * moment its port is known (it prints it once listening: with --port 0 there is nothing to poll
 * before that) to the first 200, then asks at once for the first page of GET /sessions (a list
 * needs every session parsed and the order's index built). Stops it with SIGTERM after, which
 * saves its snapshot.
 */
async function coldStart(root: string, dataDir: string, token: string, withSnapshot: boolean): Promise<StartResult> {
  const args = [join(root, 'bin', 'sessiondock.js'), 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir];
  const spawnedAt = performance.now();
  const { child, baseUrl } = await startChild(withSnapshot ? 'serve (snapshot)' : 'serve (no snapshot)', args, dataDir, childEnv(), root, START_TIMEOUT_MS);
  try {
    const listeningMs = performance.now() - spawnedAt;
    const deadline = performance.now() + HEALTH_DEADLINE_MS;
    let polls = 0;
    for (;;) {
      polls += 1;
      const answer = await httpGet(`${baseUrl}/health`, { authorization: `Bearer ${token}` }, 5000).catch((error: Error) => ({ status: 0, body: error.message }));
      if (answer.status === 200) {
        const healthMs = performance.now() - spawnedAt;
        const rssMb = memoryOf(child.process.pid!)?.rssMb ?? NaN;
        const log = (JSON.parse(answer.body) as { data: { log: { position: number; sessions: number } } }).data.log;
        const list = await httpGet(`${baseUrl}/sessions?limit=20`, { authorization: `Bearer ${token}` }, 30_000);
        if (list.status !== 200) throw new Error(`GET /sessions answered ${list.status}: ${list.body.slice(0, 200)}`);
        const firstListMs = performance.now() - spawnedAt;
        return { withSnapshot, listeningMs, healthMs, firstListMs, rssMb, position: log.position, sessions: log.sessions, polls };
      }
      if (performance.now() > deadline) throw new Error(`GET /health did not answer 200 within ${HEALTH_DEADLINE_MS} ms of listening (last: ${answer.status} ${answer.body.slice(0, 200)})`);
      await new Promise((wakeUp) => setTimeout(wakeUp, HEALTH_POLL_MS));
    }
  } finally {
    await stopChild(child);
  }
}

/** The position a snapshot file records (in its header line), or null if there is none. */
function snapshotPosition(dataDir: string, name: string): number | null {
  const path = new SnapshotFiles(snapshotDirectory(dataDir)).path(name);
  if (!existsSync(path)) return null;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const read = readSync(fd, head, 0, head.length, 0);
    const match = /"position":(\d+)/.exec(head.subarray(0, read).toString('utf8'));
    return match ? Number(match[1]) : null;
  } finally {
    closeSync(fd);
  }
}

/** Moves the snapshots directory aside; the returned function drops whatever is there now and puts it back. */
function snapshotsAside(dataDir: string): () => void {
  const directory = snapshotDirectory(dataDir);
  const aside = `${directory}.aside-${process.pid}`;
  if (existsSync(directory)) renameSync(directory, aside);
  let restored = false;
  const putBack = () => {
    if (restored) return;
    restored = true;
    forget();
    process.removeListener('exit', putBack);
    if (!existsSync(aside)) return;
    rmSync(directory, { recursive: true, force: true });
    renameSync(aside, directory);
  };
  const forget = onCleanup(putBack);
  process.on('exit', putBack);
  return putBack;
}

// ---------------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '1000000' },
      sessions: { type: 'string', default: '100000' },
      rounds: { type: 'string', default: '3' },
      window: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '20240607' },
      'data-dir': { type: 'string' },
      keep: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
    },
    strict: true,
  });
  const events = Number(values.events);
  const rounds = Number(values.rounds);
  const window = Number(values.window);
  const seed = Number(values.seed);
  for (const [name, value] of Object.entries({ events, sessions: Number(values.sessions), rounds, window, seed })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  }
  const sessions = Math.min(Number(values.sessions), events);
  const keep = values.keep;
  const cpuProfDir = values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined;

  const root = findProjectRoot();
  ensureServerBuild(root);
  out(
    `log-replay bench: ${events} events over ${sessions} sessions; ${rounds} rounds, interleaved\nproject: ${root}; node ${process.version}; ` +
      `load average before: ${loadavg().map((value) => value.toFixed(1)).join(' ')}\n\n`,
  );

  // The data dir: a temp one, or --data-dir (removed at exit only if this run created it, and not with --keep).
  let dataDir: string;
  if (values['data-dir']) {
    dataDir = resolve(values['data-dir']);
    const fresh = !existsSync(dataDir) || readdirSync(dataDir).length === 0;
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (fresh && !keep) {
      const created = dataDir;
      process.on('exit', () => rmSync(created, { recursive: true, force: true }));
    }
  } else {
    if (keep) throw new Error('--keep needs --data-dir D (a temp data dir is always removed)');
    dataDir = makeTempDir('sessiondock-replaybench-');
  }

  // 1. Seeding (only an empty log).
  const existing = await logHead(dataDir);
  let seeding: SeedResult | null = null;
  if (existing === 0) {
    out(`1. seeding ${dataDir}: ${events} events through EventLog, ${window} appends in flight (group commit, synced batches)\n`);
    seeding = await seedLog(dataDir, events, sessions, seed, window);
    out(
      `  done: ${seeding.events} events in ${fmt(seeding.ms / 1000, 1)} s = ${fmt(rate(seeding.events, seeding.ms))} events/s; ` +
        `log ${fmt(mb(sizeOf(logDirectory(dataDir))))} MB on disk\n\n`,
    );
  } else {
    out(`1. reusing the log in ${dataDir}: ${existing} events (${fmt(mb(sizeOf(logDirectory(dataDir))))} MB on disk); not seeded${existing !== events ? ` (--events ${events} ignored)` : ''}\n\n`);
  }
  const head = seeding?.events ?? existing;

  // 2. Scan vs rebuild.
  out(`2. bare scan vs rebuild, ${rounds} rounds (a warm-up scan first, untimed, so every round reads from the page cache)\n`);
  await runWorker<ScanResult>('scan', dataDir, root);
  interface ReplayRound {
    round: number;
    scan: ScanResult;
    rebuild: RebuildResult;
    cli: CliRebuild;
  }
  const replay: ReplayRound[] = [];
  for (let round = 1; round <= rounds && !isInterrupted(); round += 1) {
    const scan = await runWorker<ScanResult>('scan', dataDir, root);
    out(`  round ${round} bare scan:            ${fmt(rate(scan.events, scan.ms)).padStart(8)} events/s (${scan.events} in ${fmt(scan.ms)} ms)\n`);
    const rebuild = await runWorker<RebuildResult>('rebuild', dataDir, root);
    out(
      `  round ${round} rebuild (in-process): ${fmt(rate(rebuild.events, rebuild.ms)).padStart(8)} events/s (${rebuild.events} in ${fmt(rebuild.ms)} ms; ` +
        `${rebuild.sessions} live sessions; heap ${fmt(rebuild.heapMb)} MB, RSS ${fmt(rebuild.rssMb)} MB)\n`,
    );
    const cli = await cliRebuild(root, dataDir);
    out(
      `  round ${round} rebuild (CLI):        ${fmt(cli.eventsPerSecond).padStart(8)} events/s (its own figure: ${cli.events} in ${cli.seconds} s; ` +
        `process wall time ${fmt(cli.wallMs)} ms; ${cli.equal ? 'equals the incremental model' : 'DIFFERS from the incremental model'})\n`,
    );
    if (scan.events !== head || rebuild.events !== head || cli.events !== head) throw new Error(`event counts disagree: log ${head}, scan ${scan.events}, rebuild ${rebuild.events}, CLI ${cli.events}`);
    replay.push({ round, scan, rebuild, cli });
  }

  // 3. Cold start with and without the snapshot. The CLI rebuild above saved one at the head.
  out(`\n3. cold start: spawn → first 200 from GET /api/v1/health, with the snapshot and without (snapshots moved aside), ${rounds} rounds\n`);
  const token = tokenFor(root, dataDir);
  const starts: Array<{ round: number; with: StartResult; without: StartResult }> = [];
  for (let round = 1; round <= rounds && !isInterrupted(); round += 1) {
    const positions = ['sessions', 'idempotency'].map((name) => snapshotPosition(dataDir, name));
    if (positions.some((position) => position !== head)) throw new Error(`no snapshot at the head (${head}) before the start with one: ${positions.join(', ')}`);
    const withSnapshot = await coldStart(root, dataDir, token, true);
    out(`  round ${round} with snapshot:    listening ${fmt(withSnapshot.listeningMs).padStart(6)} ms, first 200 ${fmt(withSnapshot.healthMs).padStart(6)} ms, first list ${fmt(withSnapshot.firstListMs).padStart(6)} ms, RSS ${fmt(withSnapshot.rssMb)} MB\n`);
    const putBack = snapshotsAside(dataDir);
    let without: StartResult;
    try {
      without = await coldStart(root, dataDir, token, false);
    } finally {
      putBack();
    }
    out(`  round ${round} without snapshot: listening ${fmt(without.listeningMs).padStart(6)} ms, first 200 ${fmt(without.healthMs).padStart(6)} ms, first list ${fmt(without.firstListMs).padStart(6)} ms, RSS ${fmt(without.rssMb)} MB\n`);
    for (const start of [withSnapshot, without]) {
      if (start.position !== head || start.sessions !== replay[0]?.rebuild.sessions) {
        throw new Error(`the server started ${start.withSnapshot ? 'with' : 'without'} the snapshot holds ${start.sessions} sessions at ${start.position}, not ${replay[0]?.rebuild.sessions} at ${head}`);
      }
    }
    starts.push({ round, with: withSnapshot, without });
  }

  // 4. Profiles.
  const profiled: string[] = [];
  if (cpuProfDir && !isInterrupted()) {
    mkdirSync(cpuProfDir, { recursive: true });
    out(`\n4. CPU profiles (node --cpu-prof) into ${cpuProfDir}\n`);
    const rebuild = await runWorker<RebuildResult>('rebuild', dataDir, root, ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, '--cpu-prof-name', 'log-replay-rebuild.cpuprofile']);
    const scan = await runWorker<ScanResult>('scan', dataDir, root, ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, '--cpu-prof-name', 'log-replay-scan.cpuprofile']);
    // The server's start-up with the snapshot, in-process (startServer, then out before any shutdown snapshot).
    const start = await runWorker<ServerStartResult>('start', dataDir, root, ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, '--cpu-prof-name', 'log-replay-start-snapshot.cpuprofile']);
    out(
      `  profiled rebuild: ${fmt(rate(rebuild.events, rebuild.ms))} events/s; profiled scan: ${fmt(rate(scan.events, scan.ms))} events/s; ` +
        `profiled startServer with the snapshot: ${fmt(start.ms)} ms (all slowed by the profiler)\n`,
    );
    const summary = join(root, 'dist', 'bench', 'cpuprofile-summary.js');
    for (const [name, unit] of [['log-replay-rebuild', 'per event of the log'], ['log-replay-scan', 'per event of the log'], ['log-replay-start-snapshot', 'per event of the log (the snapshot holds them all)']]) {
      const file = join(cpuProfDir, `${name}.cpuprofile`);
      profiled.push(file);
      if (!existsSync(summary)) continue;
      const run = await runNode('cpuprofile-summary', [summary, '--top', '25', '--requests', String(head), file], root, 5 * 60_000);
      out(`\n---- ${name}: the µs/req column is µs ${unit} ----\n${run.stdout}${run.code === 0 ? '' : run.stderr}`);
    }
  }

  // Final tables.
  out(`\n==== log-replay: ${head} events, ${replay[0]?.rebuild.sessions ?? '?'} live sessions ====\n\n`);
  if (seeding) {
    const rows = [...seeding.generated].sort((a, b) => b[1] - a[1]).map(([type, count]) => [type, String(count), `${fmt((100 * count) / seeding!.events, 1)}%`]);
    out(
      `seeding (EventLog.append, ${window} appends in flight, synced group commit): ${seeding.events} events in ${fmt(seeding.ms / 1000, 1)} s = ` +
        `${fmt(rate(seeding.events, seeding.ms))} events/s; log ${fmt(mb(sizeOf(logDirectory(dataDir))))} MB on disk\n` +
        formatTable(['event type', 'events', 'share'], rows, (i) => i >= 1) +
        '\n',
    );
  } else {
    out(`seeding: reused an existing log of ${head} events (not timed in this run)\n\n`);
  }

  const scanRate = (r: ReplayRound) => rate(r.scan.events, r.scan.ms);
  const rebuildRate = (r: ReplayRound) => rate(r.rebuild.events, r.rebuild.ms);
  const ratios = replay.map((r) => rebuildRate(r) / scanRate(r));
  const cliRatios = replay.map((r) => r.cli.eventsPerSecond / scanRate(r));
  const scanRatio = median(ratios);
  const scanMet = scanRatio >= TARGET_SCAN_RATIO;
  out(
    `scan vs rebuild (events/s; ratio = rebuild / bare scan of the same round; the target uses the in-process rebuild)\n` +
      formatTable(
        ['round', 'bare scan', 'rebuild in-process', 'ratio', 'rebuild CLI', 'CLI ratio', 'CLI check'],
        [
          ...replay.map((r, i) => [String(r.round), fmt(scanRate(r)), fmt(rebuildRate(r)), ratios[i].toFixed(2), fmt(r.cli.eventsPerSecond), cliRatios[i].toFixed(2), r.cli.equal ? 'equal' : 'DIFFERS']),
          ['median', fmt(median(replay.map(scanRate))), fmt(median(replay.map(rebuildRate))), scanRatio.toFixed(2), fmt(median(replay.map((r) => r.cli.eventsPerSecond))), median(cliRatios).toFixed(2), ''],
        ],
        (i) => i >= 1 && i <= 5,
      ) +
      `target rebuild / scan ≥ ${TARGET_SCAN_RATIO}: ${scanMet ? 'met' : 'NOT MET'} (${scanRatio.toFixed(2)}; per round ${ratios.map((r) => r.toFixed(2)).join(', ')})\n\n`,
  );

  const withMs = median(starts.map((s) => s.with.healthMs));
  const withoutMs = median(starts.map((s) => s.without.healthMs));
  const startRatio = withMs / withoutMs;
  const startMet = startRatio <= TARGET_START_RATIO;
  out(
    `cold start: spawn → first 200 from /health (ms), server VmRSS just after it (MB), then spawn → the first page of GET /sessions asked for at once (ms)\n` +
      formatTable(
        ['round', 'with: listening', 'with: first 200', 'with: RSS', 'with: first list', 'without: listening', 'without: first 200', 'without: RSS', 'without: first list', 'ratio'],
        [
          ...starts.map((s) => [
            String(s.round),
            fmt(s.with.listeningMs),
            fmt(s.with.healthMs),
            fmt(s.with.rssMb),
            fmt(s.with.firstListMs),
            fmt(s.without.listeningMs),
            fmt(s.without.healthMs),
            fmt(s.without.rssMb),
            fmt(s.without.firstListMs),
            (s.with.healthMs / s.without.healthMs).toFixed(3),
          ]),
          [
            'median',
            fmt(median(starts.map((s) => s.with.listeningMs))),
            fmt(withMs),
            fmt(median(starts.map((s) => s.with.rssMb))),
            fmt(median(starts.map((s) => s.with.firstListMs))),
            fmt(median(starts.map((s) => s.without.listeningMs))),
            fmt(withoutMs),
            fmt(median(starts.map((s) => s.without.rssMb))),
            fmt(median(starts.map((s) => s.without.firstListMs))),
            startRatio.toFixed(3),
          ],
        ],
        (i) => i >= 1,
      ) +
      `target with ≤ ${TARGET_START_RATIO} × without: ${startMet ? 'met' : 'NOT MET'} (${startRatio.toFixed(3)})\n\n`,
  );

  out(
    formatTable(
      ['measure', 'value', 'target', 'verdict'],
      [
        ...(seeding ? [['seeding', `${fmt(rate(seeding.events, seeding.ms))} events/s (${fmt(seeding.ms / 1000, 1)} s)`, '-', '-']] : []),
        ['bare scan', `${fmt(median(replay.map(scanRate)))} events/s`, '-', '-'],
        ['rebuild, in-process', `${fmt(median(replay.map(rebuildRate)))} events/s`, '-', '-'],
        ['rebuild / scan', scanRatio.toFixed(2), `≥ ${TARGET_SCAN_RATIO}`, scanMet ? 'met' : 'NOT MET'],
        ['rebuild, CLI (its figure)', `${fmt(median(replay.map((r) => r.cli.eventsPerSecond)))} events/s (ratio ${median(cliRatios).toFixed(2)})`, '-', '-'],
        ['cold start with snapshot', `${fmt(withMs)} ms, RSS ${fmt(median(starts.map((s) => s.with.rssMb)))} MB; first list ${fmt(median(starts.map((s) => s.with.firstListMs)))} ms`, '-', '-'],
        ['cold start without', `${fmt(withoutMs)} ms, RSS ${fmt(median(starts.map((s) => s.without.rssMb)))} MB; first list ${fmt(median(starts.map((s) => s.without.firstListMs)))} ms`, '-', '-'],
        ['with / without', startRatio.toFixed(3), `≤ ${TARGET_START_RATIO}`, startMet ? 'met' : 'NOT MET'],
      ],
      () => false,
    ),
  );
  if (profiled.length > 0) out(`profiles: ${profiled.join(', ')}\n`);
  if (keep) out(`data dir kept for the next run: ${dataDir} (node dist/bench/log-replay.js --data-dir ${dataDir} --keep)\n`);
  const differs = replay.some((r) => !r.cli.equal);
  if (differs) out('WARNING: sessiondock rebuild reported a model that differs from the incremental one\n');
  return differs ? 1 : 0;
}

if (process.argv.includes('--worker')) runMain('log-replay worker', workerMain);
else runMain('log-replay bench', main);
