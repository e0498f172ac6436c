/**
 * Soak (issue 8, item 5; memory criterion of issue 17): ten minutes of mixed load against a real
 * server process, then the figures the closing notes ask for.
 *
 *   npm run soak [-- --duration D --warm-up D --sample-every D --connections C --seed N --sessions N --rss-mark S --no-trace-gc --no-log-reads --heap-snapshots DIR --server-flag=FLAG]
 *
 * Durations are `600`, `600s`, `10m` or `2m30s` (bench/soak-criteria.ts parseDuration); `--seconds S`
 * is the old spelling of `--duration`.
 *
 * 1. A fresh temp data dir seeded through the real log with a reproducible catalogue
 *    (bench/catalogue.ts: realistic titles, tags, notes, clients, paths; default 2,000 sessions).
 * 2. Our server started on it (child process, 127.0.0.1, port 0).
 * 3. Load: C keep-alive workers (default 64), each sending its next request as soon as the last one
 *    answered, for D (default 10 minutes): 70% reads (list, search, tag and kind filters, recent,
 *    GET /sessions/{id}, notes and tags of a session, GET /tags, history, pages of the event log,
 *    /health) and 30% writes
 *    (POST /sessions, half of them with an Idempotency-Key; PATCH /sessions/{id}; PUT tags and
 *    notes; DELETE). Creates and deletes are equally likely, so the live catalogue stays about the
 *    same size and the RSS check compares like with like. Ids come from the live set the load
 *    itself tracks: a session is deleted only when no request of ours is in flight on it, and it
 *    leaves the set before its DELETE is sent, so no request targets a session we deleted (except
 *    the history of deleted sessions, which the contract keeps readable, reported as its own row).
 *    Every request is timed with hrtime; any non-2xx counts as an error.
 * 4. The server's memory sampled every 10 s (--sample-every): RSS, its anonymous part (RssAnon:
 *    JS heap, malloc, stacks; not the page cache of mapped files, which the kernel can drop) and its
 *    file-backed part. The server runs with --trace-gc (unless --no-trace-gc): the V8 heap left
 *    after each full GC, which tells retained objects from heap and allocator headroom. Acceptance:
 *    0 errors and the memory criterion of bench/soak-criteria.ts, judged after a 2-minute warm-up
 *    (--warm-up): anonymous RSS's least-squares slope ≤ 1 MB/min, its last sample ≤ 1.15 × the
 *    sample at the end of the warm-up, and the heap after full GC flat within 10%. A table of the
 *    samples and a PASS/FAIL line per criterion end the report. RSS at start, at --rss-mark (10 s)
 *    and at the end, with the log's mapped tables and V8's committed heap, are printed as figures.
 *    With --no-log-reads the mix leaves out history and event-log pages, the reads that map the
 *    log's tables into the server. With --no-churn it leaves out creates and deletes (their weight
 *    goes to PATCH): no new streams and no new idempotency keys, the data a server must keep (the
 *    log's version of every stream, every key for 24 hours), so what still grows is not data. With --heap-snapshots DIR the server writes a heap snapshot into
 *    DIR at the end of the warm-up and at the end of the load (bench/heap-summary.ts compares
 *    them); writing one stops the server for a moment and needs memory, so such a run is for
 *    finding what grows, not for the figures. Each sample also splits anonymous RSS: V8's heap
 *    total, external memory (ArrayBuffers among it) and V8's own malloc, from a bench-only preload
 *    in the server (bench/memory-probe.ts), the native rest (anonymous less V8's heap and external),
 *    and where the pages lie (/proc/PID/smaps: glibc's main arena, its 64 MiB thread arenas, every
 *    other mapping); the report gives each part's slope after the warm-up. --server-flag=FLAG
 *    (repeatable) passes a node or V8 flag to the server, for bisection runs.
 * 5. Afterwards: /health's session count against the live set, then, with the server stopped,
 *    `sessiondock verify` and `sessiondock rebuild` on the data dir.
 *
 * Everything this started is stopped and removed on exit (bench/harness.ts).
 */
import { execFileSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { newSessionId } from '../src/ids';
import { appendCatalogue, DAWS, finalFields, generateCatalogue, seededRandom, WORDS, type SeedSession } from './catalogue';
import { parseProbeLine, type ProbeReading } from './memory-probe';
import { judgeMemory, leastSquaresSlope, MEMORY_LIMITS, soakTimings, type Verdict } from './soak-criteria';
import {
  assertLoopback,
  childEnv,
  cpuMsOf,
  ensureServerBuild,
  findProjectRoot,
  formatTable,
  isInterrupted,
  makeTempDir,
  anonSplitOf,
  type AnonSplit,
  mappedResidentMb,
  memoryOf,
  type Memory,
  onCleanup,
  percentile,
  runMain,
  startChild,
  stopChild,
  tokenFor,
} from './harness';

/** When the RSS figure the end is set against is taken (s into the load): --rss-mark changes it. */
let RSS_MARK_S = 10;
const REQUEST_TIMEOUT_MS = 10_000;
/** Error responses kept whole, as evidence. */
const KEEP_ERROR_SAMPLES = 12;


// ---- 1. seeding ----


const percentChange = (from: number, to: number) => `${to >= from ? '+' : ''}${(((to - from) / from) * 100).toFixed(1)}%`;

// ---- the live set: which sessions exist, and which have a request of ours in flight ----

class LiveSessions {
  private readonly ids: string[] = [];
  private readonly indexOf = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  readonly deleted: string[] = [];

  constructor(ids: Iterable<string>) {
    for (const id of ids) this.add(id);
  }

  get size(): number {
    return this.ids.length;
  }

  has(id: string): boolean {
    return this.indexOf.has(id);
  }

  add(id: string): void {
    this.indexOf.set(id, this.ids.length);
    this.ids.push(id);
  }

  /** Any live id (undefined when none is left). */
  pick(random: () => number): string | undefined {
    return this.ids[Math.floor(random() * this.ids.length)];
  }

  /** A live id nothing of ours is using, taken out of the set (it is about to be deleted). */
  takeIdle(random: () => number): string | undefined {
    for (let attempt = 0; attempt < 16; attempt += 1) {
      const id = this.pick(random);
      if (id !== undefined && !this.inFlight.has(id)) {
        this.remove(id);
        return id;
      }
    }
    return undefined;
  }

  private remove(id: string): void {
    const index = this.indexOf.get(id)!;
    const last = this.ids.pop()!;
    if (last !== id) {
      this.ids[index] = last;
      this.indexOf.set(last, index);
    }
    this.indexOf.delete(id);
  }

  acquire(id: string): void {
    this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
  }

  release(id: string): void {
    const count = this.inFlight.get(id)! - 1;
    if (count === 0) this.inFlight.delete(id);
    else this.inFlight.set(id, count);
  }
}

// ---- the request mix ----

interface Planned {
  /** The route template this request is reported under. */
  route: string;
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** The session this request targets (kept out of deletion while in flight). */
  sessionId?: string;
  /** Wants the response body (a create, to learn the new id). */
  wantsBody?: boolean;
  after?: (status: number, body: string) => void;
}

interface Operation {
  kind: 'read' | 'write';
  weight: number;
  /** Reads events from the log's tables (history, event pages) rather than the read models. */
  readsLog?: true;
  /** Adds a stream (and an idempotency key) or deletes one: what makes the server's retained data grow. */
  churns?: true;
  plan: () => Planned | undefined;
}

const STATUSES = ['draft', 'in-progress', 'mixing', 'review', 'final', 'mastered', 'done', 'archived'];
const ACCENTS = ['default', 'red', 'blue', 'green', 'amber', '#ff6600', '#3366cc'];
const CLIENTS = ['Northside Records', 'Blue Room Studio', 'Élodie Martin', 'Sofía Ramírez', 'Kite & Kettle', 'Studio Zoë', 'Lumen Films'];
const SORTS = ['title', 'kind', 'status', 'lastOpened', 'createdAt', 'updatedAt'];

/** Words, tags and kinds as the seeded catalogue has them, so searches and filters match something. */
interface Vocabulary {
  titleWords: string[];
  noteWords: string[];
  tags: string[];
}

function vocabularyOf(catalogue: readonly SeedSession[]): Vocabulary {
  const titleWords: string[] = [];
  const noteWords: string[] = [];
  const tags: string[] = [];
  for (const session of catalogue) {
    const fields = finalFields(session);
    titleWords.push(...fields.title.split(/\s+/).filter((word) => /^\p{L}{3,}$/u.test(word)));
    noteWords.push(...fields.notes.split(/[\s.,!]+/).filter((word) => /^\p{L}{4,}$/u.test(word)).slice(0, 8));
    tags.push(...fields.tags);
  }
  return { titleWords, noteWords, tags };
}

/**
 * `seededPosition`: the log's head before the load, the range the event-log pages start in.
 * Without `logReads`, the weight of the reads that go to the log's tables goes to /health: the
 * same load, with nothing mapping the log's pages into the server.
 */
function makeMix(live: LiveSessions, vocabulary: Vocabulary, random: () => number, base: string, seededPosition: number, logReads: boolean, churn: boolean): Operation[] {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const chance = (p: number) => random() < p;
  const words = (count: number) => Array.from({ length: count }, () => pick(WORDS)).join(' ');
  const title = () => {
    const text = Array.from({ length: chance(0.6) ? 2 : 3 }, () => pick(vocabulary.titleWords)).join(' ');
    return chance(0.2) ? `${text} v${1 + Math.floor(random() * 5)}` : text;
  };
  const notes = () => {
    if (chance(0.1)) return '';
    // Mostly a few sentences; now and then a long session diary.
    const text = `${words(chance(0.9) ? 5 + Math.floor(random() * 60) : 300)}.`;
    return text.charAt(0).toUpperCase() + text.slice(1);
  };
  const tags = () => [...new Set(Array.from({ length: Math.floor(random() * 6) }, () => pick(vocabulary.tags)))];
  const projectPath = (name: string) => {
    const daw = pick(DAWS);
    return `/Users/${pick(['alex', 'sam', 'mira', 'lucía'])}/Music/Projects/${name.replace(/[^\p{L}\p{N}]+/gu, ' ').trim() || 'Untitled'}${daw.extension}`;
  };
  const query = (params: Array<[string, string]>) => `${base}/sessions?${params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
  const onSession = (route: string, method: string, suffix: string, extra: Partial<Planned> = {}): Planned | undefined => {
    const id = live.pick(random);
    return id === undefined ? undefined : { route, method, path: `${base}/sessions/${id}${suffix}`, sessionId: id, ...extra };
  };

  const health: Operation = { kind: 'read', weight: 5, plan: () => ({ route: 'GET /health', method: 'GET', path: `${base}/health` }) };
  const patch: Operation = {
    kind: 'write',
    weight: 10,
    plan: () => {
      const body: Record<string, unknown> = {};
      if (chance(0.4)) body.title = title();
      if (chance(0.4)) body.status = pick(STATUSES);
      if (chance(0.1)) body.accent = pick(ACCENTS);
      if (chance(0.1)) body.client = chance(0.3) ? null : pick(CLIENTS);
      if (chance(0.15)) body.tags = tags();
      if (chance(0.15)) body.notes = notes();
      if (chance(0.05)) body.kind = pick(DAWS).kind;
      if (chance(0.05)) body.projectPath = chance(0.3) ? null : projectPath(title());
      if (Object.keys(body).length === 0) body.status = pick(STATUSES);
      return onSession('PATCH /sessions/{id}', 'PATCH', '', { body });
    },
  };
  const operations: Operation[] = [
    // ---- reads: 70 ----
    {
      kind: 'read',
      weight: 10,
      plan: () => ({
        route: 'GET /sessions (default order, paged)',
        method: 'GET',
        path: chance(0.5) ? `${base}/sessions` : query([['limit', String(pick([10, 20, 50, 100]))], ['offset', String(Math.floor(random() * 400))]]),
      }),
    },
    {
      kind: 'read',
      weight: 12,
      plan: () => {
        const terms = chance(0.6) ? [pick(vocabulary.titleWords)] : [pick(vocabulary.titleWords), pick(vocabulary.noteWords)];
        const params: Array<[string, string]> = [['q', terms.join(' ').toLowerCase()]];
        if (chance(0.4)) params.push(['sort', pick(SORTS)]);
        if (chance(0.3)) params.push(['limit', '20']);
        return { route: 'GET /sessions?q= (search)', method: 'GET', path: query(params) };
      },
    },
    {
      kind: 'read',
      weight: 6,
      plan: () => {
        const params: Array<[string, string]> = [['tags', chance(0.7) ? pick(vocabulary.tags) : `${pick(vocabulary.tags)},${pick(vocabulary.tags)}`], ['sort', pick(SORTS)]];
        if (chance(0.3)) params.push(['q', pick(vocabulary.titleWords).toLowerCase()]);
        return { route: 'GET /sessions?tags=&sort=', method: 'GET', path: query(params) };
      },
    },
    {
      kind: 'read',
      weight: 4,
      plan: () => {
        const params: Array<[string, string]> = [[chance(0.5) ? 'kind' : 'daw', pick(DAWS).kind], ['sort', pick(SORTS)]];
        if (chance(0.5)) params.push(['order', 'asc']);
        return { route: 'GET /sessions?kind=&sort=&order=', method: 'GET', path: query(params) };
      },
    },
    { kind: 'read', weight: 3, plan: () => ({ route: 'GET /sessions?recent=true', method: 'GET', path: query([['recent', 'true'], ['limit', '10']]) }) },
    { kind: 'read', weight: 13, plan: () => onSession('GET /sessions/{id}', 'GET', '') },
    { kind: 'read', weight: 1, plan: () => onSession('GET /sessions/{id}/notes', 'GET', '/notes') },
    { kind: 'read', weight: 1, plan: () => onSession('GET /sessions/{id}/tags', 'GET', '/tags') },
    { kind: 'read', weight: 5, plan: () => ({ route: 'GET /tags', method: 'GET', path: `${base}/tags` }) },
    {
      kind: 'read',
      weight: 8,
      readsLog: true,
      plan: () => {
        // A quarter on sessions we deleted: the audit route keeps answering for them (§10).
        if (live.deleted.length > 0 && chance(0.25)) {
          return { route: 'GET /sessions/{id}/history (deleted)', method: 'GET', path: `${base}/sessions/${pick(live.deleted)}/history` };
        }
        return onSession('GET /sessions/{id}/history', 'GET', '/history');
      },
    },
    health,
    {
      kind: 'read',
      weight: 2,
      readsLog: true,
      plan: () => {
        // An audit tool paging through the log; now and then only the deletions (without churn
        // there are none, and a page of a type the log does not hold reads the whole log: updates).
        const filtered = churn ? 'type=SessionDeleted' : 'type=SessionUpdated';
        const params = [`after=${Math.floor(random() * seededPosition)}`, `limit=${pick([20, 50, 100])}`, ...(chance(0.2) ? [filtered] : [])];
        return { route: 'GET /events (a page of the log)', method: 'GET', path: `${base}/events?${params.join('&')}` };
      },
    },

    // ---- writes: 30 ----
    {
      kind: 'write',
      weight: 6,
      churns: true,
      plan: () => {
        const sessionTitle = title();
        const body: Record<string, unknown> = { title: sessionTitle, status: pick(STATUSES), tags: tags(), notes: notes() };
        if (chance(0.6)) body.projectPath = projectPath(sessionTitle);
        else body.kind = pick(DAWS).kind;
        if (chance(0.3)) body.accent = pick(ACCENTS);
        if (chance(0.3)) body.client = pick(CLIENTS);
        const keyed = chance(0.5);
        return {
          route: keyed ? 'POST /sessions (Idempotency-Key)' : 'POST /sessions',
          method: 'POST',
          path: `${base}/sessions`,
          body,
          headers: keyed ? { 'idempotency-key': `soak-${newSessionId()}` } : undefined,
          wantsBody: true,
          after: (status, text) => {
            if (status !== 201) return;
            const id = (JSON.parse(text) as { data: { id: string } }).data.id;
            live.add(id);
          },
        };
      },
    },
    patch,
    { kind: 'write', weight: 5, plan: () => onSession('PUT /sessions/{id}/tags', 'PUT', '/tags', { body: { tags: tags() } }) },
    { kind: 'write', weight: 3, plan: () => onSession('PUT /sessions/{id}/notes', 'PUT', '/notes', { body: { notes: chance(0.1) ? null : notes() } }) },
    {
      kind: 'write',
      weight: 6,
      churns: true,
      plan: () => {
        const id = live.takeIdle(random);
        if (id === undefined) return undefined;
        return {
          route: 'DELETE /sessions/{id}',
          method: 'DELETE',
          path: `${base}/sessions/${id}`,
          after: (status) => {
            if (status === 200) live.deleted.push(id);
          },
        };
      },
    },
  ];
  if (!logReads) {
    for (const operation of operations.filter((candidate) => candidate.readsLog)) {
      health.weight += operation.weight;
      operation.weight = 0;
    }
  }
  if (!churn) {
    for (const operation of operations.filter((candidate) => candidate.churns)) {
      patch.weight += operation.weight;
      operation.weight = 0;
    }
  }
  const total = operations.reduce((sum, operation) => sum + operation.weight, 0);
  const reads = operations.filter((operation) => operation.kind === 'read').reduce((sum, operation) => sum + operation.weight, 0);
  if (total !== 100 || reads !== 70) throw new Error(`the mix adds up to ${total} (${reads} reads), not 100 (70 reads)`);
  return operations;
}

// ---- the client: keep-alive workers, each timing its own requests ----

interface RouteStats {
  latencies: number[];
  statuses: Map<number, number>;
}

interface ErrorSample {
  route: string;
  method: string;
  path: string;
  status: number;
  atS: number;
  body: string;
}

interface Response {
  status: number;
  body: string;
}

function send(agent: Agent, port: number, headers: Record<string, string>, planned: Planned): Promise<Response> {
  return new Promise((resolvePromise) => {
    const payload = planned.body === undefined ? undefined : JSON.stringify(planned.body);
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: planned.method,
        path: planned.path,
        headers: {
          ...headers,
          ...planned.headers,
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const keep = planned.wantsBody || status < 200 || status >= 300;
        const chunks: Buffer[] = [];
        if (keep) res.on('data', (chunk: Buffer) => chunks.push(chunk));
        else res.resume();
        res.on('end', () => resolvePromise({ status, body: keep ? Buffer.concat(chunks).toString('utf8') : '' }));
        res.on('error', (error) => resolvePromise({ status: 0, body: `response error: ${error.message}` }));
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (error) => resolvePromise({ status: 0, body: `connection error: ${error.message}` }));
    req.end(payload);
  });
}


interface FullGc {
  atS: number;
  beforeMb: number;
  afterMb: number;
  committedMb: number;
}

/** The server's memory and the load's progress, taken every --sample-every seconds. */
interface Sample {
  atS: number;
  requests: number;
  errors: number;
  rssMb: number;
  anonMb: number;
  fileMb: number;
  /** The heap V8 had committed after its latest GC (NaN without --trace-gc). */
  v8CommittedMb: number;
  cpuMs: number;
  /** The server's latest memory-probe reading (bench/memory-probe.ts), undefined before the first. */
  probe: ProbeReading | undefined;
  /** Where its anonymous memory lies (null when smaps could not be read). */
  split: AnonSplit | null;
}

async function getJson(port: number, headers: Record<string, string>, path: string): Promise<{ status: number; body: any }> {
  const agent = new Agent({ keepAlive: false });
  const response = await send(agent, port, headers, { route: 'check', method: 'GET', path, wantsBody: true });
  agent.destroy();
  try {
    return { status: response.status, body: JSON.parse(response.body) };
  } catch {
    return { status: response.status, body: response.body };
  }
}

// ---- what anonymous RSS is made of ----

/** Columns of the sample table that split anonymous RSS; `partsOf` gives them in this order. */
const PART_NAMES = ['V8 heap total MB', 'external MB', 'of it ArrayBuffers MB', 'V8 malloc MB', 'native rest MB', 'brk heap MB', 'thread arenas MB', 'other anon MB'];

/**
 * Anonymous RSS split: what V8 reports (its committed heap, external memory and its own malloc),
 * the rest (anonymous less V8's heap and external: native memory V8 does not see), and where the
 * anonymous pages lie (the main arena's brk heap, glibc's thread arenas, every other mapping).
 */
function partsOf(sample: Sample): number[] {
  const mb = (bytes: number | undefined) => (bytes === undefined ? NaN : bytes / 2 ** 20);
  const { probe, split } = sample;
  return [
    mb(probe?.heapTotal),
    mb(probe?.external),
    mb(probe?.arrayBuffers),
    mb(probe?.malloced),
    probe === undefined ? NaN : sample.anonMb - mb(probe.heapTotal) - mb(probe.external),
    split?.brkMb ?? NaN,
    split?.threadArenasMb ?? NaN,
    split?.otherMb ?? NaN,
  ];
}

/** Least-squares slope, MB/min after the warm-up, of anonymous RSS and of each part. */
function partSlopes(samples: readonly Sample[], warmUpS: number): string {
  const judged = samples.filter((sample) => sample.atS >= warmUpS - 0.5 && sample.probe !== undefined);
  if (judged.length < 2) return 'slopes after the warm-up: too few samples';
  const slopeOf = (valueOf: (sample: Sample) => number) => leastSquaresSlope(judged.map((sample) => ({ x: sample.atS / 60, y: valueOf(sample) })));
  const first = judged[0];
  const last = judged[judged.length - 1];
  const names = ['anonymous MB', ...PART_NAMES];
  const values = (sample: Sample) => [sample.anonMb, ...partsOf(sample)];
  const rows = names.map((name, index) => [
    name.replace(/ MB$/, ''),
    `${slopeOf((sample) => values(sample)[index]) >= 0 ? '+' : ''}${slopeOf((sample) => values(sample)[index]).toFixed(2)}`,
    values(first)[index].toFixed(1),
    values(last)[index].toFixed(1),
  ]);
  return `what anonymous RSS is made of, after the warm-up (${first.atS.toFixed(0)}-${last.atS.toFixed(0)} s):\n` +
    formatTable(['part', 'slope MB/min', `MB at ${first.atS.toFixed(0)} s`, `MB at ${last.atS.toFixed(0)} s`], rows, (i) => i >= 1);
}

// ---- main ----

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      /** The old spelling of --duration, in seconds. */
      seconds: { type: 'string' },
      'warm-up': { type: 'string', default: `${MEMORY_LIMITS.warmUpS}s` },
      'sample-every': { type: 'string', default: '10s' },
      connections: { type: 'string', default: '64' },
      seed: { type: 'string', default: '20240807' },
      sessions: { type: 'string', default: '2000' },
      /** The server runs with --trace-gc unless this is given: the heap after each full GC tells retention from GC headroom. */
      'no-trace-gc': { type: 'boolean', default: false },
      'rss-mark': { type: 'string', default: String(RSS_MARK_S) },
      /** History and event-log pages left out of the mix (their weight goes to /health): what the log's mapped pages add. */
      'no-log-reads': { type: 'boolean', default: false },
      /** Creates and deletes left out of the mix (their weight goes to PATCH): no new streams, no new idempotency keys. */
      'no-churn': { type: 'boolean', default: false },
      /** A directory for two heap snapshots of the server: at the end of the warm-up and of the load. */
      'heap-snapshots': { type: 'string' },
      /** A node or V8 flag for the server process (repeatable), e.g. --server-flag=--single-threaded-gc: for finding what grows. */
      'server-flag': { type: 'string', multiple: true, default: [] },
    },
    strict: true,
  });
  const timings = soakTimings({ duration: values.duration, seconds: values.seconds, warmUp: values['warm-up'], sampleEvery: values['sample-every'], rssMark: values['rss-mark'] });
  const { durationS: seconds, sampleEveryS, limits } = timings;
  const warmUpS = limits.warmUpS;
  RSS_MARK_S = timings.rssMarkS;
  const connections = Number(values.connections);
  const seed = Number(values.seed);
  const sessions = Number(values.sessions);
  const traceGc = !values['no-trace-gc'];
  for (const [name, value] of Object.entries({ connections, seed, sessions })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  }

  const root = findProjectRoot();
  ensureServerBuild(root);
  const bin = join(root, 'bin', 'sessiondock.js');
  process.stdout.write(
    `soak: ${seconds} s of mixed load (70% reads, 30% writes${values['no-log-reads'] ? '; no history or event-log pages: their weight goes to /health' : ''}${values['no-churn'] ? '; no creates or deletes: their weight goes to PATCH' : ''}), ${connections} keep-alive connections, against ${sessions} seeded sessions (seed ${seed}); ` +
      `memory sampled every ${sampleEveryS} s, judged after a ${warmUpS} s warm-up\n` +
      `project: ${root}\nnode ${process.version}; load average before: ${loadavg().map((value) => value.toFixed(2)).join(' ')} (other work on this machine skews every figure)\n\n`,
  );

  // 1. Seed.
  const now = Date.now();
  const dataDir = makeTempDir('sessiondock-soak-');
  const catalogue = generateCatalogue(sessions, seed, now);
  const seedStart = performance.now();
  const seededIds = (await appendCatalogue(join(dataDir, 'log'), catalogue)).ids;
  const vocabulary = vocabularyOf(catalogue);
  process.stdout.write(`seeded ${seededIds.length} sessions through the log in ${(performance.now() - seedStart).toFixed(0)} ms\n`);

  // 2. Start the server.
  const token = tokenFor(root, dataDir);
  const headers = { authorization: `Bearer ${token}` };
  const snapshotDir = values['heap-snapshots'];
  const snapshotFlags = snapshotDir === undefined ? [] : ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`];
  const probeFlags = ['--require', join(root, 'dist', 'bench', 'memory-probe.js')];
  const { child, baseUrl } = await startChild('ours', [...(traceGc ? ['--trace-gc'] : []), ...snapshotFlags, ...probeFlags, ...(values['server-flag'] ?? []), bin, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], dataDir, childEnv({ MEMORY_PROBE: '1' }), root, 120_000);
  assertLoopback(baseUrl);
  const url = new URL(baseUrl);
  const port = Number(url.port);
  const base = url.pathname;
  const pid = child.process.pid!;
  const health = await getJson(port, headers, `${base}/health`);
  if (health.status !== 200 || health.body.data.log.sessions !== sessions) {
    throw new Error(`GET /health answered ${health.status} with ${JSON.stringify(health.body).slice(0, 400)}`);
  }
  const atStart = memoryOf(pid)!;
  const tablesMb = (): number => mappedResidentMb(pid, '.ldb');
  const tablesAtStart = tablesMb();
  process.stdout.write(`server pid ${pid} at ${baseUrl}: log position ${health.body.data.log.position}, ${health.body.data.log.sessions} sessions; RSS at start ${atStart.rssMb.toFixed(1)} MB\n\n`);

  // 3. Load.
  const random = seededRandom(seed + 7);
  const live = new LiveSessions(seededIds);
  const mix = makeMix(live, vocabulary, random, base, health.body.data.log.position, !values['no-log-reads'], !values['no-churn']);
  const planNext = (): Planned => {
    for (;;) {
      let roll = random() * 100;
      const operation = mix.find((candidate) => (roll -= candidate.weight) < 0) ?? mix[0];
      const planned = operation.plan();
      if (planned) return planned;
    }
  };
  const stats = new Map<string, RouteStats>();
  const statsOf = (route: string) => {
    let of = stats.get(route);
    if (!of) stats.set(route, (of = { latencies: [], statuses: new Map() }));
    return of;
  };
  const errorSamples: ErrorSample[] = [];
  /** 404s on ids that were live in our set when the request was sent: never expected. */
  let notFoundOnLive = 0;
  let requests = 0;
  let errors = 0;
  let stopping = false;

  const agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  onCleanup(() => agent.destroy());
  const clientCpuStart = process.cpuUsage();
  const loadStart = performance.now();
  const elapsedS = () => (performance.now() - loadStart) / 1000;

  // With --trace-gc: the V8 heap after every full (mark-compact) GC, as the server prints it, and
  // the heap V8 has committed after the latest GC of any kind (scavenges come several a second).
  const fullGcs: FullGc[] = [];
  let v8CommittedMb = NaN;
  let probe: ProbeReading | undefined;
  let gcText = '';
  child.process.stdout!.on('data', (text: string) => {
    gcText += text;
    const lines = gcText.split('\n');
    gcText = lines.pop()!;
    for (const line of lines) {
      probe = parseProbeLine(line) ?? probe;
      const match = /(Mark-Compact|Scavenge)[^\d]*?([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB/.exec(line);
      if (!match) continue;
      v8CommittedMb = Number(match[5]);
      if (match[1] === 'Mark-Compact') fullGcs.push({ atS: elapsedS(), beforeMb: Number(match[2]), afterMb: Number(match[4]), committedMb: v8CommittedMb });
    }
  });

  const worker = async () => {
    while (!stopping && !isInterrupted()) {
      const planned = planNext();
      if (planned.sessionId) live.acquire(planned.sessionId);
      const began = process.hrtime.bigint();
      const response = await send(agent, port, headers, planned);
      const latency = Number(process.hrtime.bigint() - began) / 1e6;
      if (planned.sessionId) live.release(planned.sessionId);
      requests += 1;
      const of = statsOf(planned.route);
      of.statuses.set(response.status, (of.statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 200 && response.status < 300) {
        of.latencies.push(latency);
      } else {
        errors += 1;
        if (response.status === 404 && planned.sessionId && live.has(planned.sessionId)) notFoundOnLive += 1;
        if (errorSamples.length < KEEP_ERROR_SAMPLES) {
          errorSamples.push({ route: planned.route, method: planned.method, path: planned.path, status: response.status, atS: elapsedS(), body: response.body.slice(0, 400) });
        }
      }
      try {
        planned.after?.(response.status, response.body);
      } catch (error) {
        errors += 1;
        if (errorSamples.length < KEEP_ERROR_SAMPLES) {
          errorSamples.push({ route: planned.route, method: planned.method, path: planned.path, status: response.status, atS: elapsedS(), body: `unreadable answer: ${(error as Error).message}` });
        }
      }
    }
  };

  // A sample every --sample-every seconds, on a schedule that does not drift with the timers'
  // lateness: requests and errors so far, the server's memory and CPU time.
  const sampleAt = (atS: number, memory: Memory | null): Sample => ({
    atS,
    requests,
    errors,
    rssMb: memory?.rssMb ?? NaN,
    anonMb: memory?.anonMb ?? NaN,
    fileMb: memory?.fileMb ?? NaN,
    v8CommittedMb,
    cpuMs: cpuMsOf(pid),
    probe,
    split: anonSplitOf(pid),
  });
  const samples: Sample[] = [sampleAt(0, atStart)];
  let sampleTimer: NodeJS.Timeout | undefined;
  const scheduleSample = (index: number) => {
    if (index * sampleEveryS >= seconds) return;
    sampleTimer = setTimeout(() => {
      const atS = elapsedS();
      const memory = memoryOf(pid);
      samples.push(sampleAt(atS, memory));
      if (snapshotDir !== undefined && (index - 1) * sampleEveryS < warmUpS && index * sampleEveryS >= warmUpS) process.kill(pid, 'SIGUSR2');
      process.stdout.write(
        `  ${atS.toFixed(0).padStart(3)} s: ${requests} requests, ${errors} errors, server RSS ${memory?.rssMb.toFixed(1)} MB (anonymous ${memory?.anonMb.toFixed(1)} MB), ` +
          `live sessions ${live.size} (load average ${loadavg()[0].toFixed(2)})\n`,
      );
      scheduleSample(index + 1);
    }, Math.max(0, loadStart + index * sampleEveryS * 1000 - performance.now()));
  };
  scheduleSample(1);
  let atMark: Memory | null = null;
  let tablesAtMark = NaN;
  let v8AtMark = NaN;
  let logAtMark: number | undefined;
  const markTimer = setTimeout(() => {
    atMark = memoryOf(pid);
    tablesAtMark = tablesMb();
    v8AtMark = v8CommittedMb;
    void getJson(port, headers, `${base}/health`).then((answer) => (logAtMark = answer.body?.data?.log?.position), () => undefined);
  }, RSS_MARK_S * 1000);
  const stopTimer = setTimeout(() => {
    stopping = true;
  }, seconds * 1000);
  await Promise.all(Array.from({ length: connections }, worker));
  clearTimeout(sampleTimer);
  clearTimeout(markTimer);
  clearTimeout(stopTimer);
  const loadS = elapsedS();
  const atEnd = memoryOf(pid)!;
  samples.push(sampleAt(loadS, atEnd));
  if (snapshotDir !== undefined) {
    // The snapshot is written on the server's main thread: /health answers once it is complete.
    process.kill(pid, 'SIGUSR2');
    await getJson(port, headers, `${base}/health`);
    process.stdout.write(`heap snapshots in ${snapshotDir}: node dist/bench/heap-summary.js FIRST SECOND\n`);
  }
  const tablesAtEnd = tablesMb();
  const v8AtEnd = v8CommittedMb;
  const cpuEnd = cpuMsOf(pid);
  const clientCpu = process.cpuUsage(clientCpuStart);
  const loadAfter = loadavg();
  agent.destroy();
  if (isInterrupted()) throw new Error('interrupted');

  // 5a. The server's count of live sessions against ours.
  const after = await getJson(port, headers, `${base}/health`);
  const serverSessions = after.body?.data?.log?.sessions as number | undefined;
  const logPosition = after.body?.data?.log?.position as number | undefined;
  // Five idle seconds, then the RSS again: what the server gives back once the load is gone.
  await new Promise((done) => setTimeout(done, 5000));
  const settled = memoryOf(pid);

  // 4. Report.
  const routeRows = [...stats].sort(([a], [b]) => a.localeCompare(b));
  const table = routeRows.map(([route, of]) => {
    const sorted = of.latencies.sort((a, b) => a - b);
    const count = [...of.statuses.values()].reduce((sum, n) => sum + n, 0);
    const bad = [...of.statuses].filter(([status]) => status < 200 || status >= 300);
    return [
      route,
      String(count),
      ((count / requests) * 100).toFixed(1),
      (count / loadS).toFixed(0),
      percentile(sorted, 0.5).toFixed(2),
      percentile(sorted, 0.99).toFixed(2),
      sorted.length > 0 ? sorted[sorted.length - 1].toFixed(1) : '-',
      bad.length === 0 ? '0' : bad.map(([status, n]) => `${n} × ${status === 0 ? 'conn' : status}`).join(', '),
    ];
  });
  const allLatencies = routeRows.flatMap(([, of]) => of.latencies).sort((a, b) => a - b);
  const readCount = routeRows.filter(([route]) => route.startsWith('GET ')).reduce((sum, [, of]) => sum + [...of.statuses.values()].reduce((a, b) => a + b, 0), 0);
  table.push([
    'all',
    String(requests),
    '100.0',
    (requests / loadS).toFixed(0),
    percentile(allLatencies, 0.5).toFixed(2),
    percentile(allLatencies, 0.99).toFixed(2),
    allLatencies.length > 0 ? allLatencies[allLatencies.length - 1].toFixed(1) : '-',
    String(errors),
  ]);
  process.stdout.write(
    `\n${requests} requests in ${loadS.toFixed(1)} s = ${(requests / loadS).toFixed(0)} req/s ` +
      `(${((readCount / requests) * 100).toFixed(1)}% reads); server CPU ${(((cpuEnd - samples[0].cpuMs) / 1000 / loadS) * 100).toFixed(0)}% of one core, this load generator's ${(((clientCpu.user + clientCpu.system) / 1e6 / loadS) * 100).toFixed(0)}%; ` +
      `load average after: ${loadAfter.map((value) => value.toFixed(2)).join(' ')}\n\n`,
  );
  process.stdout.write(formatTable(['route', 'requests', '%', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors (non-2xx)'], table, (i) => i >= 1 && i <= 6));

  // The samples: throughput over each interval and the memory at its end.
  const heapList = (gcs: FullGc[]) => {
    if (gcs.length === 0) return '-';
    if (gcs.length <= 4) return gcs.map((gc) => gc.afterMb.toFixed(1)).join(', ');
    const after = gcs.map((gc) => gc.afterMb);
    return `${Math.min(...after).toFixed(1)} to ${Math.max(...after).toFixed(1)}`;
  };
  const windows: string[][] = [];
  let warmUpMarked = false;
  for (let index = 1; index < samples.length; index += 1) {
    const first = samples[index - 1];
    const last = samples[index];
    const span = last.atS - first.atS;
    const gcs = fullGcs.filter((gc) => gc.atS > first.atS && gc.atS <= last.atS);
    const endsWarmUp: boolean = !warmUpMarked && last.atS >= warmUpS - 0.5;
    warmUpMarked ||= endsWarmUp;
    windows.push([
      `${first.atS.toFixed(0)}-${last.atS.toFixed(0)} s${endsWarmUp ? ' (warm-up end)' : ''}`,
      ((last.requests - first.requests) / span).toFixed(0),
      String(last.errors - first.errors),
      last.rssMb.toFixed(1),
      last.anonMb.toFixed(1),
      last.fileMb.toFixed(1),
      (((last.cpuMs - first.cpuMs) / 1000 / span) * 100).toFixed(0),
      ...(traceGc ? [String(gcs.length), heapList(gcs), last.v8CommittedMb.toFixed(1)] : []),
      ...partsOf(last).map((mb) => mb.toFixed(1)),
    ]);
  }
  process.stdout.write(
    `\nthe samples (memory at the end of each interval):\n` +
      formatTable(
        ['interval', 'req/s', 'errors', 'server RSS MB', 'anonymous MB', 'file-backed MB', 'server CPU %', ...(traceGc ? ['full GCs', 'V8 heap after full GC MB', 'V8 committed MB'] : []), ...PART_NAMES],
        windows,
        (i) => (i >= 1 && i <= 7) || (traceGc ? i >= 9 : i > 7),
      ),
  );
  process.stdout.write(`\n${partSlopes(samples, warmUpS)}\n`);

  // Set by the sampler's callback, which the compiler does not follow.
  const markMemory = atMark as Memory | null;
  const mark = markMemory?.rssMb ?? NaN;
  const gcSummary = () => {
    const during = fullGcs.filter((gc) => gc.atS >= 0 && gc.atS <= loadS);
    const late = during.filter((gc) => gc.atS >= RSS_MARK_S);
    if (during.length === 0) return 'V8: no full GC during the load';
    const first = late[0];
    const last = during[during.length - 1];
    return (
      `V8 heap after full GCs during the load (${during.length}): min ${Math.min(...during.map((gc) => gc.afterMb)).toFixed(1)}, max ${Math.max(...during.map((gc) => gc.afterMb)).toFixed(1)} MB` +
      (first ? `; first after ${RSS_MARK_S} s ${first.afterMb.toFixed(1)} MB (at ${first.atS.toFixed(0)} s), last ${last.afterMb.toFixed(1)} MB (at ${last.atS.toFixed(0)} s)` : '') +
      `; heap committed at the last ${last.committedMb.toFixed(1)} MB`
    );
  };
  /** What is left once the mapped tables and V8's committed heap are taken out: malloc, stacks, node's own pages. */
  const restWithoutV8 = () => {
    const rest = (rss: number, tables: number, v8: number) => rss - tables - v8;
    return (
      `  V8's committed heap (after the latest GC): ${v8AtMark.toFixed(1)} → ${v8AtEnd.toFixed(1)} MB; ` +
      `RSS without the mapped tables and V8's heap: ${rest(mark, tablesAtMark, v8AtMark).toFixed(1)} → ${rest(atEnd.rssMb, tablesAtEnd, v8AtEnd).toFixed(1)} MB`
    );
  };
  const verdicts: Verdict[] = judgeMemory(
    samples.map((sample) => ({ atS: sample.atS, anonMb: sample.anonMb })),
    fullGcs.map((gc) => ({ atS: gc.atS, heapAfterMb: gc.afterMb })),
    loadS,
    limits,
  );
  if (!traceGc) verdicts[2] = { ...verdicts[2], outcome: 'NOT JUDGED', measured: 'the server ran without --trace-gc' };
  const memoryMet = verdicts.every((verdict) => verdict.outcome === 'PASS');
  const sessionsAgree = serverSessions === live.size;
  process.stdout.write(
    `\nserver RSS: at start ${atStart.rssMb.toFixed(1)} MB, after ${RSS_MARK_S} s ${mark.toFixed(1)} MB, at end ${atEnd.rssMb.toFixed(1)} MB ` +
      `(${percentChange(mark, atEnd.rssMb)} over the ${RSS_MARK_S} s figure), peak ${atEnd.peakMb.toFixed(1)} MB; ` +
      `after 5 idle seconds: ${settled?.rssMb.toFixed(1)} MB\n` +
      `  of which anonymous (JS heap, malloc, stacks): ${atStart.anonMb.toFixed(1)} → ${markMemory?.anonMb.toFixed(1)} → ${atEnd.anonMb.toFixed(1)} MB; ` +
      `file-backed (node itself, mapped LevelDB tables): ${atStart.fileMb.toFixed(1)} → ${markMemory?.fileMb.toFixed(1)} → ${atEnd.fileMb.toFixed(1)} MB\n` +
      `  of the file-backed part, the log's tables LevelDB has mapped and read: ${tablesAtStart.toFixed(1)} → ${tablesAtMark.toFixed(1)} → ${tablesAtEnd.toFixed(1)} MB ` +
      `(page cache of a log that grew from ${logAtMark ?? '?'} events at ${RSS_MARK_S} s to ${logPosition} at the end); ` +
      `RSS without them: ${(mark - tablesAtMark).toFixed(1)} → ${(atEnd.rssMb - tablesAtEnd).toFixed(1)} MB (${percentChange(mark - tablesAtMark, atEnd.rssMb - tablesAtEnd)})\n` +
      (traceGc ? `${gcSummary()}\n${restWithoutV8()}\n` : '') +
      `check 0 errors: ${errors === 0 ? 'met' : `NOT MET (${errors})`}${notFoundOnLive > 0 ? `; ${notFoundOnLive} of them 404s on sessions that were live` : ''}\n` +
      `live sessions: ours ${live.size}, the server's /health ${serverSessions} (log position ${logPosition}): ${sessionsAgree ? 'agree' : 'DISAGREE'}; ` +
      `${live.deleted.length} deleted during the load\n`,
  );
  if (errorSamples.length > 0) {
    process.stdout.write(`\nfirst ${errorSamples.length} error responses:\n`);
    for (const sample of errorSamples) process.stdout.write(`  ${sample.atS.toFixed(1)} s ${sample.method} ${sample.path} → ${sample.status === 0 ? 'no response' : sample.status}: ${sample.body}\n`);
  }
  if (child.stderr.trim()) process.stdout.write(`\nserver stderr (last 4000 characters):\n${child.stderr}\n`);

  // 5b. With the server stopped: the log verifies, the read models rebuild to what was served.
  await stopChild(child);
  const cli = (command: string) => {
    try {
      return { ok: true, text: execFileSync(process.execPath, [bin, command, '--data-dir', dataDir], { cwd: root, env: childEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim() };
    } catch (error) {
      const failure = error as { stdout?: string; stderr?: string; message: string };
      return { ok: false, text: `${failure.stdout ?? ''}${failure.stderr ?? ''}`.trim() || failure.message };
    }
  };
  const verify = cli('verify');
  const rebuild = cli('rebuild');
  process.stdout.write(`\nsessiondock verify: ${verify.ok ? 'passed' : 'FAILED'}: ${verify.text.split('\n').slice(-3).join(' / ')}\n`);
  process.stdout.write(`sessiondock rebuild: ${rebuild.ok ? 'passed' : 'FAILED'}: ${rebuild.text.split('\n').slice(-5).join(' / ')}\n`);

  const problems = [
    ...(errors === 0 ? [] : [`${errors} errors`]),
    ...verdicts.filter((verdict) => verdict.outcome !== 'PASS').map((verdict) => `${verdict.criterion}: ${verdict.outcome}`),
    ...(sessionsAgree ? [] : ['the session counts disagree']),
    ...(verify.ok ? [] : ['verify failed']),
    ...(rebuild.ok ? [] : ['rebuild failed']),
  ];
  process.stdout.write(
    `\nsummary: ${(requests / loadS).toFixed(0)} req/s over ${loadS.toFixed(0)} s at ${connections} connections; p50 ${percentile(allLatencies, 0.5).toFixed(2)} ms, p99 ${percentile(allLatencies, 0.99).toFixed(2)} ms; ` +
      `${errors} errors; RSS ${atStart.rssMb.toFixed(0)} → ${mark.toFixed(0)} (${RSS_MARK_S} s) → ${atEnd.rssMb.toFixed(0)} MB (end); memory criterion ${memoryMet ? 'met' : 'NOT met'}\n` +
      formatTable(
        ['criterion', 'result', 'measured'],
        [
          ...verdicts.map((verdict) => [verdict.criterion, verdict.outcome, verdict.measured]),
          ['0 errors', errors === 0 ? 'PASS' : 'FAIL', String(errors)],
          ['live sessions: ours = the server\'s', sessionsAgree ? 'PASS' : 'FAIL', `${live.size} and ${serverSessions}`],
          ['verify and rebuild pass', verify.ok && rebuild.ok ? 'PASS' : 'FAIL', `verify ${verify.ok ? 'passed' : 'failed'}, rebuild ${rebuild.ok ? 'passed' : 'failed'}`],
        ],
        () => false,
      ) +
      `${problems.length > 0 ? `\nWARNING: ${problems.join('; ')}` : ''}\n`,
  );
  return problems.length > 0 ? 1 : 0;
}

runMain('soak', main);
