import { isDeepStrictEqual } from 'node:util';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTokenFile } from '../../src/token';
import { createReadModels } from '../../projections/read-models';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/process';

/*
 * One round of the crash-consistency suite (issue 8, item 1), shared by the mocha test
 * (test/crash/crash-consistency.test.ts) and the long runner (test/crash/run.ts):
 *
 *   1. a real `sessiondock serve` process on a fresh data directory (in some rounds a first server
 *      takes a short load and stops cleanly first, so the crashed one starts from a snapshot);
 *   2. 32 concurrent clients drive creates, PATCHes of different fields, tag and note PUT/PATCHes
 *      and deletes, every request named by its own X-Request-Id, and every answer recorded;
 *   3. SIGKILL after a random delay; the requests still unanswered are "in flight";
 *   4. a new server on the same data directory, then:
 *      (a) every acknowledged (2xx) write is in the log, once, with the data and version it was
 *          acknowledged with, and the content its response showed is the fold of the log at that
 *          version; acknowledged deletes answer 404; later writes win;
 *      (b) the log holds only events of requests that were sent and not refused, one per request,
 *          each exactly what the request asked for (nothing half-applied); an in-flight request
 *          either landed whole or not at all; every served session (list, single GET, history,
 *          tag counts, tag filters) equals the fold of its stream;
 *      (c) `sessiondock verify` exits 0 once the server has stopped (and the stop itself is clean);
 *      (d) `sessiondock rebuild` exits 0 and finds every read model equal to the incremental one,
 *          and (in some rounds) a server started after the rebuild lists the same sessions.
 *
 * Problems are collected (not thrown one at a time) so a failing round says everything it saw.
 */

type Json = Record<string, any>;

export type Op = 'create' | 'patch' | 'tags' | 'notes' | 'delete';
type Outcome = 'pending' | 'acked' | 'rejected' | 'inflight' | 'lost';

/** One write the generator sent, what event it should append, and what became of it. */
interface WriteRecord {
  rid: string;
  op: Op;
  method: string;
  path: string;
  body?: Json;
  /** Known for every op but a create, and for a create once acknowledged. */
  sessionId?: string;
  idempotencyKey?: string;
  expected: { type: string; data: Json };
  phase: 'seed' | 'crash';
  outcome: Outcome;
  status?: number;
  response?: Json;
  etag?: string;
  error?: string;
}

export interface RoundOptions {
  round: number;
  seed: number;
  clients?: number;
  /** Delay before the SIGKILL; default random 100-1500 ms. */
  killAfterMs?: number;
  /** Let a first server take a short load and stop cleanly before the crashed one; default random. */
  seedPhase?: boolean;
  /**
   * SIGTERM first and SIGKILL 5-150 ms later, so the kill can land in the middle of the graceful
   * shutdown (requests draining, snapshots being written); default random (1 round in 5).
   */
  termFirst?: boolean;
  /** Start a third server after the rebuild and compare its listing; default random. */
  restartAfterRebuild?: boolean;
  /** Keep the data directory when the round fails (the runner does, for post-mortems). */
  keepFailedDataDir?: boolean;
  log?: (line: string) => void;
}

export interface RoundResult {
  round: number;
  seed: number;
  killAfterMs: number;
  seeded: boolean;
  restartedAfterRebuild: boolean;
  /** 'kill', or 'term+kill' (SIGTERM then SIGKILL) with whether the server had exited before the SIGKILL. */
  killMode: 'kill' | 'term+kill (exited first)' | 'term+kill (killed in shutdown)';
  sent: number;
  acknowledged: number;
  found: number;
  inFlight: number;
  landed: number;
  /** Requests that failed without an answer before the kill (outcome unknown; should be 0). */
  lostBeforeKill: number;
  rejected: Record<string, number>;
  events: number;
  liveSessions: number;
  replays: number;
  durationMs: number;
  phases: Record<string, number>;
  problems: string[];
  dataDir?: string;
}

const CONTENT_FIELDS = ['title', 'kind', 'status', 'accent', 'tags', 'notes', 'client', 'projectPath', 'projectOriginalPath', 'lastOpened', 'createdAt', 'updatedAt', 'version'] as const;
const TAG_WORDS = ['drums', 'vocals', 'mix', 'master', 'demo', 'live', 'stems', 'remix'];
const PATCH_FIELDS = ['title', 'kind', 'status', 'accent', 'tags', 'notes', 'client', 'projectPath'] as const;
const EXTENSIONS = ['.als', '.logicx', '.flp', '.rpp', '.bwproject', '.song', '.txt', ''];
const REQUEST_TIMEOUT_MS = 20_000;
const MAX_PROBLEMS = 40;
const MAX_REPLAYS = 20;

/** Small, fast, seedable (mulberry32): a round's choices can be replayed from its seed. */
export function randomSource(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Random = ReturnType<typeof randomSource>;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  body: any;
}

/** One request on the given agent (a client's keep-alive connection), with a deadline. */
function send(agent: Agent | false, url: string, method: string, headers: Record<string, string>, json?: unknown): Promise<Answer> {
  const payload = json === undefined ? undefined : JSON.stringify(json);
  const allHeaders: Record<string, string> = { ...headers };
  if (payload !== undefined) {
    allHeaders['Content-Type'] = 'application/json';
    allHeaders['Content-Length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: allHeaders, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        if (!res.complete) return reject(new Error('response cut short'));
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** `fn` over `items`, at most `limit` at a time. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const withDeadline = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error) => (clearTimeout(timer), reject(error)),
    );
  });

const etagVersion = (etag: string | undefined) => (etag && /^"\d+"$/.test(etag) ? Number(etag.slice(1, -1)) : undefined);

const normaliseTags = (tags: readonly string[]) => {
  const seen = new Set<string>();
  return tags.map((tag) => tag.trim()).filter((tag) => !seen.has(tag.toLowerCase()) && seen.add(tag.toLowerCase()));
};

const KINDS: Record<string, string> = { '.als': 'Ableton', '.logicx': 'Logic Pro', '.flp': 'FL Studio', '.rpp': 'Reaper', '.bwproject': 'Bitwig Studio', '.song': 'Studio One' };

/**
 * Writes with values no earlier write used, so every write changes what it names and appends
 * exactly one event whose data the test can predict (normalised as the contract says).
 */
class WriteFactory {
  private counter = 0;

  constructor(
    private readonly random: Random,
    private readonly round: number,
  ) {}

  private unique(): string {
    return `${this.round.toString(36)}x${(this.counter++).toString(36)}`;
  }

  private title(u: string) {
    const title = this.random.pick([`Take ${u}`, `Mélodie ${u} ✓`, `Beat ${u} — rough`, `${u}`]);
    // Sometimes padded: the event holds the trimmed title.
    return this.random.chance(0.2) ? { sent: `  ${title}\t`, stored: title } : { sent: title, stored: title };
  }

  private tags(u: string) {
    const sent = [`u${u}`];
    for (let n = this.random.int(0, 4); n > 0; n -= 1) sent.push(this.random.pick(TAG_WORDS));
    // Duplicates and padding: the event holds them trimmed and de-duplicated.
    if (this.random.chance(0.3)) sent.push(` ${sent[0]} `);
    this.shuffle(sent);
    return { sent, stored: normaliseTags(sent) };
  }

  private notes(u: string) {
    const long = this.random.chance(0.05);
    return long ? `notes ${u} ${'la '.repeat(this.random.int(1000, 6000))}`.slice(0, 20_000) : `notes ${u}\nline two ${this.random.int(0, 1e6)}`;
  }

  private shuffle<T>(items: T[]) {
    for (let i = items.length - 1; i > 0; i -= 1) {
      const j = this.random.int(0, i);
      [items[i], items[j]] = [items[j], items[i]];
    }
  }

  private field(field: (typeof PATCH_FIELDS)[number], u: string): { sent: unknown; stored: unknown } {
    switch (field) {
      case 'title':
        return this.title(u);
      case 'kind': {
        const kind = `Kind ${u}`;
        return this.random.chance(0.2) ? { sent: ` ${kind} `, stored: kind } : { sent: kind, stored: kind };
      }
      case 'status':
        return { sent: `st-${u}`, stored: `st-${u}` };
      case 'accent': {
        // A slug, or a #rrggbb colour made from the write's counter: either way one no write used before.
        const accent = this.random.chance(0.7) ? `ac-${u}` : `#${(this.counter % 0x1000000).toString(16).padStart(6, '0')}`;
        return { sent: accent, stored: accent };
      }
      case 'tags':
        return this.tags(u);
      case 'notes': {
        const notes = this.notes(u);
        return { sent: notes, stored: notes };
      }
      case 'client': {
        const client = `Client ${u}`;
        return { sent: client, stored: client };
      }
      case 'projectPath': {
        const path = `/home/me/Music/p-${u}${this.random.pick(EXTENSIONS)}`;
        return { sent: path, stored: path };
      }
    }
  }

  create(rid: string, withKey: boolean): Pick<WriteRecord, 'op' | 'method' | 'path' | 'body' | 'expected' | 'idempotencyKey'> {
    const u = this.unique();
    const title = this.title(u);
    const body: Json = { title: title.sent };
    const data: Json = { title: title.stored, kind: 'Other', status: 'draft', accent: 'default', tags: [], notes: '', client: null, projectPath: null };
    for (const field of PATCH_FIELDS) {
      if (field === 'title' || !this.random.chance(0.35)) continue;
      const value = this.field(field, u);
      body[field] = value.sent;
      data[field] = value.stored;
    }
    // No kind given: the one the project path's extension names (§5.1).
    if (body.kind === undefined && typeof data.projectPath === 'string') {
      const dot = data.projectPath.lastIndexOf('.');
      data.kind = (dot > data.projectPath.lastIndexOf('/') ? KINDS[data.projectPath.slice(dot)] : undefined) ?? 'Other';
    }
    return { op: 'create', method: 'POST', path: '/sessions', body, expected: { type: 'SessionCreated', data }, idempotencyKey: withKey ? `crash-key-${rid}` : undefined };
  }

  patch(sessionId: string) {
    const u = this.unique();
    const fields = [...PATCH_FIELDS];
    this.shuffle(fields);
    const body: Json = {};
    const data: Json = {};
    for (const field of fields.slice(0, this.random.int(1, 3))) {
      const value = this.field(field, u);
      body[field] = value.sent;
      data[field] = value.stored;
    }
    return { op: 'patch' as const, method: 'PATCH', path: `/sessions/${sessionId}`, body, expected: { type: 'SessionUpdated', data } };
  }

  tagsWrite(sessionId: string) {
    const tags = this.tags(this.unique());
    const method = this.random.chance(0.8) ? 'PUT' : 'PATCH';
    return { op: 'tags' as const, method, path: `/sessions/${sessionId}/tags`, body: { tags: tags.sent }, expected: { type: 'SessionTagsReplaced', data: { tags: tags.stored } } };
  }

  notesWrite(sessionId: string) {
    const notes = this.notes(this.unique());
    const method = this.random.chance(0.8) ? 'PUT' : 'PATCH';
    return { op: 'notes' as const, method, path: `/sessions/${sessionId}/notes`, body: { notes }, expected: { type: 'SessionNotesReplaced', data: { notes } } };
  }

  delete(sessionId: string) {
    return { op: 'delete' as const, method: 'DELETE', path: `/sessions/${sessionId}`, expected: { type: 'SessionDeleted', data: {} } };
  }
}

/** The sessions writes can target: those whose create was acknowledged and whose delete was not sent. */
class SessionPool {
  private readonly ids: string[] = [];

  add(id: string) {
    this.ids.push(id);
  }

  get size() {
    return this.ids.length;
  }

  /** Half the time one of the newest few (hot sessions: writers queue and race on them). */
  pick(random: Random): string | undefined {
    if (this.ids.length === 0) return undefined;
    if (random.chance(0.5)) return this.ids[this.ids.length - 1 - random.int(0, Math.min(7, this.ids.length - 1))];
    return random.pick(this.ids);
  }

  remove(id: string) {
    const index = this.ids.indexOf(id);
    if (index >= 0) this.ids.splice(index, 1);
  }
}

/** Clients writing in a loop until told to stop; every request and its answer (or none) recorded. */
class LoadGenerator {
  private stopping = false;
  private killed = false;
  private workers: Promise<void>[] = [];
  private readonly agents: Agent[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly random: Random,
    private readonly factory: WriteFactory,
    private readonly pool: SessionPool,
    private readonly writes: WriteRecord[],
    private readonly phase: 'seed' | 'crash',
    private readonly round: number,
  ) {}

  start(clients: number) {
    for (let client = 0; client < clients; client += 1) {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      this.agents.push(agent);
      this.workers.push(this.work(agent));
    }
  }

  /** No new request from now on; the kill follows at once. */
  markKilled() {
    this.stopping = true;
    this.killed = true;
  }

  /** Stops sending and resolves once every request sent has its answer (or its error). */
  async stop(deadlineMs = 30_000) {
    this.stopping = true;
    await withDeadline(Promise.all(this.workers), deadlineMs, 'the load generator');
    for (const agent of this.agents) agent.destroy();
  }

  private next(): WriteRecord | undefined {
    const rid = `crash-${this.round}-${this.phase}-${this.writes.length}`;
    const sessionId = this.pool.pick(this.random);
    const roll = this.random.next();
    let write: Omit<WriteRecord, 'rid' | 'phase' | 'outcome'>;
    if (sessionId === undefined || this.pool.size < 4 || roll < 0.2) {
      write = this.factory.create(rid, this.random.chance(0.3));
    } else if (roll < 0.5) {
      write = { ...this.factory.patch(sessionId), sessionId };
    } else if (roll < 0.7) {
      write = { ...this.factory.tagsWrite(sessionId), sessionId };
    } else if (roll < 0.9) {
      write = { ...this.factory.notesWrite(sessionId), sessionId };
    } else {
      // Sent once: other clients may still have writes to it in flight (they get 404 or land first).
      this.pool.remove(sessionId);
      write = { ...this.factory.delete(sessionId), sessionId };
    }
    const record: WriteRecord = { rid, phase: this.phase, outcome: 'pending', ...write };
    this.writes.push(record);
    return record;
  }

  private async work(agent: Agent) {
    while (!this.stopping) {
      const write = this.next()!;
      const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, 'X-Request-Id': write.rid };
      if (write.idempotencyKey) headers['Idempotency-Key'] = write.idempotencyKey;
      try {
        const answer = await send(agent, `${this.baseUrl}${write.path}`, write.method, headers, write.body);
        write.status = answer.status;
        write.response = answer.body;
        write.etag = answer.headers.etag;
        if (answer.status >= 200 && answer.status < 300) {
          write.outcome = 'acked';
          if (write.op === 'create') {
            write.sessionId = answer.body?.data?.id;
            if (write.sessionId && !this.stopping) this.pool.add(write.sessionId);
          }
        } else {
          write.outcome = 'rejected';
        }
      } catch (error) {
        write.error = (error as Error).message;
        write.outcome = this.killed ? 'inflight' : 'lost';
        // A connection that failed before the kill: the client opens a new one for its next write.
        if (!this.killed) await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  }
}

/** The fold of one session stream as the contract describes it: the state after each version. */
function foldStream(events: Json[]): Array<Json | undefined> {
  const states: Array<Json | undefined> = [undefined];
  let state: Json | undefined;
  for (const event of events) {
    // Resources show the log's time in whole seconds (contract §5.1): the fraction dropped.
    const at = `${String(event.meta.at).slice(0, 19)}Z`;
    const data = event.data;
    if (event.type === 'SessionCreated') {
      state = { ...data, projectOriginalPath: data.projectPath, lastOpened: null, createdAt: at, updatedAt: at, version: event.version };
    } else if (state && event.type === 'SessionUpdated') {
      state = { ...state, ...data, projectOriginalPath: state.projectOriginalPath ?? data.projectPath ?? null, updatedAt: at, version: event.version };
    } else if (state && event.type === 'SessionTagsReplaced') {
      state = { ...state, tags: data.tags, updatedAt: at, version: event.version };
    } else if (state && event.type === 'SessionNotesReplaced') {
      state = { ...state, notes: data.notes, updatedAt: at, version: event.version };
    } else {
      state = undefined;
    }
    states.push(state);
  }
  return states;
}

/** A resource with the server's origin taken out of its URLs: each restart listens on a new port. */
const portless = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null).replace(/http:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):\d+/g, 'ORIGIN'));

const contentOf = (session: Json) => Object.fromEntries(CONTENT_FIELDS.map((field) => [field, session[field]]));

/** Runs one crash round; never throws for a consistency problem (they are in `problems`). */
export async function runCrashRound(options: RoundOptions): Promise<RoundResult> {
  const started = Date.now();
  const random = randomSource(options.seed);
  const clients = options.clients ?? 32;
  const killAfterMs = options.killAfterMs ?? random.int(100, 1500);
  const seeded = options.seedPhase ?? random.chance(0.35);
  const restartAfterRebuild = options.restartAfterRebuild ?? random.chance(0.15);
  const termFirst = options.termFirst ?? random.chance(0.2);
  const log = options.log ?? (() => {});
  const problems: string[] = [];
  const problem = (text: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(text);
    else if (problems.length === MAX_PROBLEMS) problems.push('... (more problems left out)');
  };
  const phases: Record<string, number> = {};
  let phaseStart = Date.now();
  const phaseDone = (name: string) => {
    phases[name] = Date.now() - phaseStart;
    phaseStart = Date.now();
  };

  const dataDir = mkdtempSync(join(tmpdir(), 'sessiondock-crash-'));
  const running: ServerProcess[] = [];
  const serve = async () => {
    const server = await startServerProcess(['--port', '0', '--data-dir', dataDir], {}, 30_000);
    running.push(server);
    return server;
  };
  const alive = (server: ServerProcess) => server.child.exitCode === null && server.child.signalCode === null;
  const writes: WriteRecord[] = [];
  const pool = new SessionPool();
  const factory = new WriteFactory(random, options.round);
  const result: RoundResult = {
    round: options.round,
    seed: options.seed,
    killAfterMs,
    seeded,
    restartedAfterRebuild: restartAfterRebuild,
    killMode: 'kill',
    sent: 0,
    acknowledged: 0,
    found: 0,
    inFlight: 0,
    landed: 0,
    lostBeforeKill: 0,
    rejected: {},
    events: 0,
    liveSessions: 0,
    replays: 0,
    durationMs: 0,
    phases,
    problems,
  };

  try {
    // 1. (Some rounds) a first server takes a short load and stops cleanly: it leaves snapshots.
    if (seeded) {
      const first = await serve();
      const token = readTokenFile(join(dataDir, 'token'));
      const seedLoad = new LoadGenerator(first.baseUrl, token, random, factory, pool, writes, 'seed', options.round);
      seedLoad.start(clients);
      await new Promise((resolve) => setTimeout(resolve, random.int(200, 600)));
      await seedLoad.stop();
      const code = await withDeadline(first.stop('SIGTERM'), 20_000, 'the seed server stop');
      if (code !== 0) problem(`the seed server exited with ${code} on SIGTERM: ${first.stderr().slice(-2000)}`);
      phaseDone('seed');
    }

    // 2. The server that will be killed, and the load.
    const victim = await serve();
    const token = readTokenFile(join(dataDir, 'token'));
    phaseDone('start');
    const load = new LoadGenerator(victim.baseUrl, token, random, factory, pool, writes, 'crash', options.round);
    load.start(clients);
    // The kill delay counts from the first write this server acknowledged: on a loaded machine a
    // fixed delay from the start can land before any answer, and the round then proves nothing.
    const firstAck = Date.now() + 15_000;
    while (!writes.some((write) => write.phase === 'crash' && write.outcome === 'acked') && Date.now() < firstAck) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await new Promise((resolve) => setTimeout(resolve, killAfterMs));

    // 3. SIGKILL at that moment; every request not answered by then is in flight.
    load.markKilled();
    let exited: Promise<number | null>;
    if (termFirst) {
      // The kill lands somewhere in the graceful shutdown (or after it, if that was quicker).
      exited = victim.stop('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, random.int(5, 150)));
      result.killMode = alive(victim) ? 'term+kill (killed in shutdown)' : 'term+kill (exited first)';
      if (alive(victim)) exited = victim.stop('SIGKILL');
      else if ((await exited) !== 0) problem(`the server exited with ${await exited} on SIGTERM: ${victim.stderr().slice(-2000)}`);
    } else {
      exited = victim.stop('SIGKILL');
    }
    const inFlightAtKill = writes.filter((write) => write.outcome === 'pending').length;
    await withDeadline(exited, 15_000, 'the killed server exit');
    await load.stop();
    phaseDone('load');
    if (writes.some((write) => write.outcome === 'pending')) problem('a write is still pending after the kill');

    // 4. A new server on the same data directory.
    const restarted = await serve();
    const api = (method: string, path: string, json?: unknown, headers: Record<string, string> = {}) =>
      send(false, `${restarted.baseUrl}${path}`, method, { Authorization: `Bearer ${token}`, ...headers }, json);
    phaseDone('restart');

    // The whole log, page by page: positions dense from 1 to the head.
    const logEvents: Json[] = [];
    for (let after = 0; ; ) {
      const page = await api('GET', `/events?after=${after}&limit=1000`);
      if (page.status !== 200) throw new Error(`GET /events answered ${page.status}: ${page.text}`);
      logEvents.push(...page.body.data);
      if (page.body.meta.next === null) {
        if (page.body.meta.head !== logEvents.length) problem(`the log head is ${page.body.meta.head} but ${logEvents.length} events were read`);
        break;
      }
      after = page.body.meta.next;
    }
    logEvents.forEach((event, index) => {
      if (event.position !== index + 1) problem(`log position ${index + 1} holds position ${event.position}`);
    });
    result.events = logEvents.length;

    // (b) every event is a request that was sent and not refused, exactly what it asked for, once.
    const byRid = new Map(writes.map((write) => [write.rid, write]));
    const eventOf = new Map<string, Json>();
    const streams = new Map<string, Json[]>();
    for (const event of logEvents) {
      streams.set(event.streamId, [...(streams.get(event.streamId) ?? []), event]);
      const rid = event.meta?.requestId;
      const write = byRid.get(rid);
      if (!write) {
        problem(`event ${event.position} (${event.type} on ${event.streamId}) comes from request ${rid}, which the generator never sent`);
        continue;
      }
      if (eventOf.has(rid)) problem(`request ${rid} (${write.op}) appended two events: ${eventOf.get(rid)!.position} and ${event.position}`);
      eventOf.set(rid, event);
      if (write.outcome === 'rejected' || write.outcome === 'pending') {
        problem(`request ${rid} (${write.method} ${write.path}) was answered ${write.status} ${JSON.stringify(write.response?.error)} yet its event ${event.position} is in the log`);
      }
      if (event.type !== write.expected.type) problem(`request ${rid} appended ${event.type}, expected ${write.expected.type}`);
      if (write.sessionId !== undefined && event.streamId !== write.sessionId) problem(`request ${rid} on ${write.sessionId} appended to stream ${event.streamId}`);
      if (!isDeepStrictEqual(event.data, write.expected.data)) {
        problem(`request ${rid} (${write.op}) appended data ${JSON.stringify(event.data).slice(0, 400)}, expected ${JSON.stringify(write.expected.data).slice(0, 400)}`);
      }
      if (write.idempotencyKey !== undefined && event.meta.idempotencyKey !== write.idempotencyKey) {
        problem(`request ${rid} carried Idempotency-Key ${write.idempotencyKey} but its event has ${event.meta.idempotencyKey}`);
      }
    }

    // Each stream: versions dense from 1, a create first, nothing after a delete.
    const folds = new Map<string, Array<Json | undefined>>();
    for (const [streamId, events] of streams) {
      events.forEach((event, index) => {
        if (event.version !== index + 1) problem(`stream ${streamId}: event ${event.position} has version ${event.version}, expected ${index + 1}`);
        if (index === 0 && event.type !== 'SessionCreated') problem(`stream ${streamId} starts with ${event.type}`);
        if (index > 0 && event.type === 'SessionCreated') problem(`stream ${streamId} is created twice`);
        if (index > 0 && events[index - 1].type === 'SessionDeleted') problem(`stream ${streamId}: ${event.type} at version ${event.version} after the delete`);
      });
      folds.set(streamId, foldStream(events));
    }

    // (a) every acknowledged write is there, with the version and content it was acknowledged with.
    for (const write of writes) {
      if (write.outcome === 'acked') {
        result.acknowledged += 1;
        const event = eventOf.get(write.rid);
        if (!event) {
          problem(`acknowledged ${write.op} ${write.rid} (${write.method} ${write.path}, answered ${write.status}) is not in the log`);
          continue;
        }
        const states = folds.get(event.streamId)!;
        const before = states[event.version - 1];
        const after = states[event.version];
        let ok = true;
        const mismatch = (text: string) => {
          ok = false;
          problem(`acknowledged ${write.op} ${write.rid}: ${text}`);
        };
        const data = write.response?.data;
        switch (write.op) {
          case 'create':
          case 'patch': {
            if (write.status !== (write.op === 'create' ? 201 : 200)) mismatch(`status ${write.status}`);
            if (data?.id !== event.streamId) mismatch(`response id ${data?.id}, event on ${event.streamId}`);
            if (etagVersion(write.etag) !== data?.version) mismatch(`ETag ${write.etag} but version ${data?.version}`);
            if (!after || !isDeepStrictEqual(contentOf(data ?? {}), contentOf(after))) {
              mismatch(`the response showed ${JSON.stringify(contentOf(data ?? {})).slice(0, 500)}; the log at version ${event.version} folds to ${JSON.stringify(after && contentOf(after)).slice(0, 500)}`);
            }
            break;
          }
          case 'tags':
          case 'notes': {
            if (write.status !== 200) mismatch(`status ${write.status}`);
            if (data?.id !== event.streamId) mismatch(`response id ${data?.id}, event on ${event.streamId}`);
            if (etagVersion(write.etag) !== event.version) mismatch(`ETag ${write.etag}, event version ${event.version}`);
            if (!after || !isDeepStrictEqual(data?.[write.op], after[write.op])) mismatch(`response ${write.op} ${JSON.stringify(data?.[write.op]).slice(0, 200)}, log ${JSON.stringify(after?.[write.op]).slice(0, 200)}`);
            break;
          }
          case 'delete': {
            if (write.status !== 200 || !isDeepStrictEqual(data, { deleted: true, id: write.sessionId })) mismatch(`answered ${write.status} ${JSON.stringify(write.response)}`);
            if (!before || after !== undefined) mismatch(`the delete did not end a live session`);
            break;
          }
        }
        if (ok) result.found += 1;
      } else if (write.outcome === 'rejected') {
        const key = String(write.status);
        result.rejected[key] = (result.rejected[key] ?? 0) + 1;
        // 404: the session was deleted first; 503: overloaded or shutting down. Anything else is a defect.
        if (write.status !== 404 && write.status !== 503) problem(`${write.method} ${write.path} (${write.rid}) answered ${write.status}: ${JSON.stringify(write.response).slice(0, 300)}`);
        if (write.status === 404 && write.sessionId) {
          const states = folds.get(write.sessionId);
          if (!states || !states.some((state, version) => version > 0 && state === undefined && streams.get(write.sessionId!)![version - 1]?.type === 'SessionDeleted')) {
            problem(`${write.method} ${write.path} (${write.rid}) answered 404 but the session was never deleted`);
          }
        }
      } else if (write.outcome === 'inflight' || write.outcome === 'lost') {
        if (write.outcome === 'inflight') result.inFlight += 1;
        else result.lostBeforeKill += 1;
        if (eventOf.has(write.rid) && write.outcome === 'inflight') result.landed += 1;
      }
    }
    result.sent = writes.length;
    if (result.inFlight !== inFlightAtKill) log(`  note: ${inFlightAtKill} pending at the kill, ${result.inFlight} without an answer`);

    // Served state: the list, each session, its history and the tag read models equal the fold.
    const live = [...folds].filter(([, states]) => states[states.length - 1] !== undefined).map(([id]) => id);
    result.liveSessions = live.length;
    const listed = await listAll(api);
    const listedIds = listed.map((session) => session.id);
    if (!isDeepStrictEqual([...listedIds].sort(), [...live].sort())) {
      const extra = listedIds.filter((id) => !live.includes(id));
      const missing = live.filter((id) => !listedIds.includes(id));
      problem(`GET /sessions lists ${listedIds.length} sessions, the log has ${live.length} live: listed but not live ${JSON.stringify(extra.slice(0, 5))}, live but not listed ${JSON.stringify(missing.slice(0, 5))}`);
    }
    for (const session of listed) {
      const states = folds.get(session.id);
      const state = states?.[states.length - 1];
      if (state && !isDeepStrictEqual(contentOf(session), contentOf(state))) {
        problem(`listed session ${session.id} is ${JSON.stringify(contentOf(session)).slice(0, 400)}; its stream folds to ${JSON.stringify(contentOf(state)).slice(0, 400)}`);
      }
    }
    const listedById = new Map(listed.map((session) => [session.id, session]));
    await mapLimit([...streams.keys()], 8, async (id) => {
      const states = folds.get(id)!;
      const state = states[states.length - 1];
      const single = await api('GET', `/sessions/${id}`);
      if (state === undefined) {
        if (single.status !== 404) problem(`deleted session ${id}: GET answered ${single.status}`);
      } else if (single.status !== 200) {
        problem(`live session ${id}: GET answered ${single.status} ${single.text.slice(0, 200)}`);
      } else {
        if (!isDeepStrictEqual(single.body.data, listedById.get(id))) problem(`session ${id}: GET /sessions/{id} and GET /sessions differ`);
        if (!isDeepStrictEqual(contentOf(single.body.data), contentOf(state))) problem(`session ${id} is served as ${JSON.stringify(contentOf(single.body.data)).slice(0, 400)}; folds to ${JSON.stringify(contentOf(state)).slice(0, 400)}`);
        if (etagVersion(single.headers.etag as string | undefined) !== state.version) problem(`session ${id}: ETag ${single.headers.etag}, version ${state.version}`);
      }
      const history: Json[] = [];
      for (let offset = 0; ; offset += 500) {
        const page = await api('GET', `/sessions/${id}/history?limit=500&offset=${offset}`);
        if (page.status !== 200) {
          problem(`history of ${id}: answered ${page.status}`);
          break;
        }
        history.push(...page.body.data);
        if (history.length >= page.body.meta.total || page.body.data.length === 0) break;
      }
      if (!isDeepStrictEqual(history, streams.get(id))) problem(`history of ${id} differs from its events in GET /events`);
    });
    const tagCounts = new Map<string, number>();
    for (const id of live) {
      const states = folds.get(id)!;
      for (const tag of states[states.length - 1]!.tags as string[]) tagCounts.set(tag, (tagCounts.get(tag) ?? 0) + 1);
    }
    const expectedTags = [...tagCounts].map(([tag, count]) => ({ tag, count })).sort((a, b) => b.count - a.count || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
    // Every page of /tags, at the largest page size: together they are the fold's list, and meta.total its length.
    for (let offset = 0; offset === 0 || offset < expectedTags.length; offset += 1000) {
      const tags = await api('GET', `/tags?limit=1000&offset=${offset}`);
      const expectedPage = expectedTags.slice(offset, offset + 1000);
      if (tags.status !== 200 || !isDeepStrictEqual(tags.body.data, expectedPage) || tags.body.meta?.total !== expectedTags.length) {
        problem(`GET /tags?offset=${offset} answered ${tags.status} ${tags.text.slice(0, 300)}; the fold gives ${expectedTags.length} tags, here ${JSON.stringify(expectedPage).slice(0, 300)}`);
        break;
      }
    }
    for (const word of TAG_WORDS) {
      const filtered = await api('GET', `/sessions?tags=${word}&limit=1`);
      if (filtered.status !== 200 || filtered.body.meta.total !== (tagCounts.get(word) ?? 0)) {
        problem(`GET /sessions?tags=${word}: total ${filtered.body?.meta?.total} (status ${filtered.status}), the fold gives ${tagCounts.get(word) ?? 0}`);
      }
    }

    // The idempotency read model survived the crash: the same key and body replays what landed.
    const keyed = writes.filter((write) => write.op === 'create' && write.idempotencyKey && (write.outcome === 'acked' || write.outcome === 'inflight'));
    for (const write of keyed.slice(0, MAX_REPLAYS)) {
      const landed = eventOf.get(write.rid);
      const replay = await api('POST', '/sessions', write.body, { 'Idempotency-Key': write.idempotencyKey!, 'X-Request-Id': `${write.rid}-replay` });
      result.replays += 1;
      if (replay.status !== 201) {
        problem(`replay of ${write.rid} (key ${write.idempotencyKey}) answered ${replay.status} ${replay.text.slice(0, 200)}`);
      } else if (landed) {
        if (replay.headers['idempotent-replayed'] !== 'true' || replay.body.data.id !== landed.streamId) {
          problem(`replay of ${write.rid} after the crash: Idempotent-Replayed ${replay.headers['idempotent-replayed']}, id ${replay.body.data.id}, the landed create made ${landed.streamId}`);
        }
        if (write.outcome === 'acked' && !isDeepStrictEqual(portless(replay.body.data), portless(write.response!.data))) {
          problem(`replay of ${write.rid}: answered ${JSON.stringify(replay.body.data).slice(0, 400)}, first answer ${JSON.stringify(write.response!.data).slice(0, 400)}`);
        }
      } else if (replay.headers['idempotent-replayed'] === 'true') {
        problem(`replay of ${write.rid}: replayed, but no create under that key is in the log`);
      }
    }
    const head = (await api('GET', '/events?after=0&limit=1')).body.meta.head;
    const newCreates = keyed.slice(0, MAX_REPLAYS).filter((write) => !eventOf.has(write.rid)).length;
    if (head !== logEvents.length + newCreates) problem(`after the replays the log head is ${head}; expected ${logEvents.length} + ${newCreates} new creates`);
    const listedBeforeStop = await listAll(api);
    phaseDone('check');

    // (c) a clean stop, then `sessiondock verify`.
    const stopCode = await withDeadline(restarted.stop('SIGTERM'), 20_000, 'the restarted server stop');
    if (stopCode !== 0) problem(`the restarted server exited with ${stopCode} on SIGTERM: ${restarted.stderr().slice(-2000)}`);
    const verify = await runCli(['verify', '--data-dir', dataDir], {}, 60_000);
    if (verify.code !== 0) problem(`sessiondock verify exited ${verify.code}: ${verify.stdout}${verify.stderr}`);

    // (d) `sessiondock rebuild`: every read model equals the incremental one.
    const rebuild = await runCli(['rebuild', '--data-dir', dataDir], {}, 60_000);
    const names = createReadModels().all.map((projection) => projection.name);
    const equalNames = names.filter((name) => new RegExp(`^${name}: equals the incremental model$`, 'm').test(rebuild.stdout));
    if (rebuild.code !== 0 || equalNames.length !== names.length || /DIFFERS/.test(rebuild.stdout)) {
      problem(`sessiondock rebuild exited ${rebuild.code}: ${rebuild.stdout}${rebuild.stderr}`);
    }
    phaseDone('verify+rebuild');

    // (Some rounds) a server started on the rebuilt snapshots lists exactly the same sessions.
    if (restartAfterRebuild) {
      const third = await serve();
      const listedAfter = await listAll((method, path) => send(false, `${third.baseUrl}${path}`, method, { Authorization: `Bearer ${token}` }));
      if (!isDeepStrictEqual(portless(listedAfter), portless(listedBeforeStop))) problem(`after rebuild + restart GET /sessions lists ${listedAfter.length} sessions that differ from the ${listedBeforeStop.length} listed before the stop`);
      const code = await withDeadline(third.stop('SIGTERM'), 20_000, 'the third server stop');
      if (code !== 0) problem(`the server started after the rebuild exited with ${code}`);
      phaseDone('rebuild-restart');
    }
  } catch (error) {
    problem(`round aborted: ${(error as Error).stack ?? error}`);
    for (const server of running) if (alive(server)) problems.push(`server stderr tail: ${server.stderr().slice(-1500)}`);
  } finally {
    await Promise.all(running.filter(alive).map((server) => withDeadline(server.stop('SIGKILL'), 10_000, 'a server kill').catch(() => null)));
    result.durationMs = Date.now() - started;
    if (problems.length > 0 && options.keepFailedDataDir) result.dataDir = dataDir;
    else rmSync(dataDir, { recursive: true, force: true });
  }
  return result;
}

/** Every session, page by page in a stable order. */
async function listAll(api: (method: string, path: string) => Promise<Answer>): Promise<Json[]> {
  const sessions: Json[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = await api('GET', `/sessions?sort=createdAt&order=asc&limit=500&offset=${offset}`);
    if (page.status !== 200) throw new Error(`GET /sessions answered ${page.status}: ${page.text.slice(0, 300)}`);
    sessions.push(...page.body.data);
    if (sessions.length >= page.body.meta.total || page.body.data.length === 0) return sessions;
  }
}

/** Totals over rounds, and the one-line summary the closing note quotes. */
export class CrashTotals {
  rounds = 0;
  failedRounds = 0;
  sent = 0;
  acknowledged = 0;
  found = 0;
  inFlight = 0;
  landed = 0;
  lostBeforeKill = 0;
  events = 0;
  replays = 0;
  seeded = 0;
  rebuildRestarts = 0;
  termFirst = 0;
  rejected: Record<string, number> = {};
  private readonly started = Date.now();

  add(result: RoundResult) {
    this.rounds += 1;
    if (result.problems.length > 0) this.failedRounds += 1;
    this.sent += result.sent;
    this.acknowledged += result.acknowledged;
    this.found += result.found;
    this.inFlight += result.inFlight;
    this.landed += result.landed;
    this.lostBeforeKill += result.lostBeforeKill;
    this.events += result.events;
    this.replays += result.replays;
    if (result.seeded) this.seeded += 1;
    if (result.restartedAfterRebuild) this.rebuildRestarts += 1;
    if (result.killMode !== 'kill') this.termFirst += 1;
    for (const [status, count] of Object.entries(result.rejected)) this.rejected[status] = (this.rejected[status] ?? 0) + count;
  }

  summary(): string {
    const rejected = Object.entries(this.rejected).map(([status, count]) => `${count}×${status}`).join(' ') || 'none';
    return (
      `crash rounds: ${this.rounds}, acknowledged writes: ${this.acknowledged}, found: ${this.found}, in flight at kill: ${this.inFlight} (landed ${this.landed})` +
      ` | failed rounds: ${this.failedRounds}, writes sent: ${this.sent}, refused: ${rejected}, lost before kill: ${this.lostBeforeKill}, events checked: ${this.events}, ` +
      `idempotent replays: ${this.replays}, rounds from a snapshot: ${this.seeded}, rebuild+restart rounds: ${this.rebuildRestarts}, SIGTERM-then-SIGKILL rounds: ${this.termFirst}, ${((Date.now() - this.started) / 1000).toFixed(1)} s`
    );
  }
}

/** One line per round, for the runner and the test's output. */
export function describeRound(result: RoundResult): string {
  const phases = Object.entries(result.phases).map(([name, ms]) => `${name} ${ms}`).join(', ');
  return (
    `round ${result.round} (seed ${result.seed}${result.seeded ? ', from snapshot' : ''}${result.restartedAfterRebuild ? ', rebuild+restart' : ''}): ` +
    `${result.killMode} at ${result.killAfterMs} ms, ${result.sent} sent, ${result.acknowledged} acked, ${result.found} found, ${result.inFlight} in flight (${result.landed} landed), ` +
    `${result.events} events, ${result.liveSessions} live; ${result.durationMs} ms [${phases}]${result.problems.length ? ` — ${result.problems.length} PROBLEMS` : ''}`
  );
}
