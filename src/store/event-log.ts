// rxjs's modules one by one (its package exports them): its index loads all 223 of its modules, a
// tenth of a server's start-up, for the four classes and operators the log and the runner use.
import { Observable } from 'rxjs/internal/Observable';
import { Subject } from 'rxjs/internal/Subject';
import type { EventMeta, NewEvent, StoredEvent } from '../../events/envelope';
import { currentSchemaVersion, eventProblem, metaProblem } from '../../events/catalogue';
import { StoreError } from './errors';
import type { AppendResult, EventStore, ExpectedVersion, LogBackend, LogHead, SerializedEvent } from './event-store';
import { chainHash, eventJson, recordType, withHash } from './hash-chain';
import { StreamVersions } from './stream-versions';

/** What a stream id may be: it is part of LevelDB keys, so no separator characters. */
export const STREAM_ID = /^[A-Za-z0-9_-]{1,128}$/;

interface PendingEvent {
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  dataJson: string;
}

interface PendingAppend {
  streamId: string;
  expectedVersion: ExpectedVersion;
  events: PendingEvent[];
  meta: EventMeta;
  metaJson: string;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/**
 * The log's rules over any backend. Appends are grouped: while one synced batch is being written,
 * every append that arrives joins the next one, so durability costs one flush per batch rather
 * than one per request. Each append in a batch is checked against its expected version on its
 * own: a conflict rejects that append only.
 */
export interface EventLogOptions {
  /** Appends waiting for the next batch beyond which an append is refused (STORE_OVERLOADED). */
  maxQueuedAppends?: number;
  /** Bytes of event JSON waiting for the next batch beyond which an append is refused. */
  maxQueuedBytes?: number;
  /** Streams whose versions are kept in memory; the others' are read from the backend when needed. */
  maxCachedStreamVersions?: number;
}

const DEFAULT_MAX_QUEUED_APPENDS = 1000;
const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_CACHED_STREAM_VERSIONS = 10_000;
/** Events per read of `readAll` unless the caller asks for fewer. */
const READ_PAGE = 1000;
/** Versions a lookup of `versionAt` tells apart: 10,000 versions take four lookups. */
const VERSION_SEARCH_FANOUT = 16;

export class EventLog implements EventStore {
  private readonly committed = new Subject<StoredEvent>();
  private queue: PendingAppend[] = [];
  private queuedBytes = 0;
  private flushing: Promise<void> | null = null;
  private closed = false;
  private readonly maxQueuedAppends: number;
  private readonly maxQueuedBytes: number;
  /**
   * Streams' versions as far as known. Opening a log of 100,000 streams reads none of them: a
   * stream's version is read from the backend when an append or a read first needs it, until
   * `learnAllVersions` has read them all. Commits set the versions they make; a read only fills in
   * a stream still missing (it may have raced a commit of that stream and read the version before).
   * Past its capacity the least recently written are forgotten after a commit, except those of
   * streams with an append queued: every read of a version that may still be under way is for one
   * of those (reads are chained, and each commit waits for those begun before it).
   */
  private readonly streamVersions: StreamVersions;
  /**
   * Set once every stored stream was in `streamVersions`: while none has been forgotten since, a
   * stream missing from it has no events.
   */
  private allVersionsRead = false;
  /** Streams appended to in this turn whose versions are not known: read together on the next. */
  private readonly toLearn = new Set<string>();
  /** The reads of their versions, chained: the next commit waits for them rather than read them again. */
  private learning: Promise<void> = Promise.resolve();

  private constructor(
    private readonly backend: LogBackend,
    private logHead: LogHead,
    options: EventLogOptions,
  ) {
    this.maxQueuedAppends = options.maxQueuedAppends ?? DEFAULT_MAX_QUEUED_APPENDS;
    this.maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    this.streamVersions = new StreamVersions(options.maxCachedStreamVersions ?? DEFAULT_MAX_CACHED_STREAM_VERSIONS);
  }

  /** Whether a stream missing from `streamVersions` is known to have no events. */
  private get allVersionsKnown(): boolean {
    return this.allVersionsRead && !this.streamVersions.hasForgotten;
  }

  static async open(backend: LogBackend, options: EventLogOptions = {}): Promise<EventLog> {
    const { head } = await backend.load();
    return new EventLog(backend, head, options);
  }

  append(streamId: string, expectedVersion: ExpectedVersion, events: NewEvent[], meta: EventMeta): Promise<AppendResult> {
    if (this.closed) return Promise.reject(closedError());
    const problem = appendProblem(streamId, events, meta);
    if (problem) return Promise.reject(new StoreError('STORE_INVALID_EVENT', problem, { streamId }));
    // Serialised now, once: what is stored and hashed is the input as it was at the call.
    const pending = events.map((event) => ({
      type: event.type,
      schemaVersion: currentSchemaVersion(event.type)!,
      data: event.data,
      dataJson: JSON.stringify(event.data),
    }));
    const metaJson = JSON.stringify(meta);
    const bytes = pending.reduce((sum, event) => sum + event.dataJson.length, metaJson.length);
    // The queue is what a burst of writers can make the server hold: bounded, in appends and bytes.
    if (this.queue.length >= this.maxQueuedAppends || (this.queue.length > 0 && this.queuedBytes + bytes > this.maxQueuedBytes)) {
      return Promise.reject(new StoreError('STORE_OVERLOADED', `${this.queue.length} appends are waiting for the next commit`, { streamId }));
    }
    this.queuedBytes += bytes;
    if (!this.allVersionsKnown && !this.streamVersions.has(streamId)) this.learnSoon(streamId);
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ streamId, expectedVersion, events: pending, meta, metaJson, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /**
   * Each batch is taken on the turn after the previous one is durable (setImmediate): appends from
   * every request read in the meantime join it, so concurrent writers share one fsync.
   */
  private async flush(): Promise<void> {
    do {
      await nextTurn();
      const batch = this.queue;
      this.queue = [];
      this.queuedBytes = 0;
      await this.commit(batch);
    } while (this.queue.length > 0);
    this.flushing = null;
  }

  private async commit(batch: PendingAppend[]): Promise<void> {
    let { position, hash } = this.logHead;
    try {
      await this.learning;
      await this.learnVersions(batch.map((append) => append.streamId));
    } catch (cause) {
      return failWrite(batch, 'its stream versions could not be read: ', cause);
    }
    const touched = new Map<string, number>();
    const accepted: Array<{ append: PendingAppend; stored: SerializedEvent[] }> = [];
    const conflicts: Array<{ append: PendingAppend; error: StoreError }> = [];
    for (const append of batch) {
      const current = touched.get(append.streamId) ?? this.streamVersions.get(append.streamId)!;
      if (append.expectedVersion !== 'any' && append.expectedVersion !== current) {
        conflicts.push({ append, error: conflict(append.streamId, append.expectedVersion, current) });
        continue;
      }
      const stored = append.events.map((pending, index): SerializedEvent => {
        position += 1;
        const { type, schemaVersion, data } = pending;
        const unhashed = { position, streamId: append.streamId, version: current + index + 1, type, schemaVersion, data, meta: append.meta };
        const json = eventJson(unhashed, pending.dataJson, append.metaJson);
        hash = chainHash(hash, json);
        return { event: { ...unhashed, hash }, json: withHash(json, hash) };
      });
      touched.set(append.streamId, current + stored.length);
      accepted.push({ append, stored });
    }
    // A conflict is reported only once the batch it lost to is durable: if the batch fails, the
    // version it conflicted with never existed, and the append fails with the batch instead.
    if (accepted.length > 0) {
      try {
        await this.backend.write(accepted.flatMap((entry) => entry.stored), touched, { position, hash });
      } catch (cause) {
        return failWrite([...accepted, ...conflicts].map(({ append }) => append), '', cause);
      }
    }

    this.logHead = { position, hash };
    for (const [streamId, version] of touched) this.streamVersions.written(streamId, version);
    this.forgetIdleVersions();
    // Subscribers (the projections) see the events before any appender resumes, so a response
    // built after `append` resolves already reads its own write.
    for (const { stored } of accepted) for (const { event } of stored) this.committed.next(event);
    for (const { append, stored } of accepted) {
      const events = stored.map(({ event }) => event);
      const last = events[events.length - 1];
      append.resolve({ streamId: append.streamId, version: last.version, position: last.position, events });
    }
    for (const { append, error } of conflicts) append.reject(error);
  }

  /**
   * Starts reading a new stream's stored version on the next turn, with the others appended to in
   * this one: under load it is read while the batch before is being written, not after.
   */
  private learnSoon(streamId: string): void {
    if (this.toLearn.size === 0) {
      this.learning = this.learning
        .then(nextTurn)
        .then(() => {
          const streamIds = [...this.toLearn];
          this.toLearn.clear();
          return this.learnVersions(streamIds);
        })
        // A failed read is read again, and reported, by the commit that needs it.
        .catch(() => undefined);
    }
    this.toLearn.add(streamId);
  }

  /** Reads the stored versions of the streams in `streamIds` still unknown: streams about to be appended to. */
  private async learnVersions(streamIds: string[]): Promise<void> {
    const unknown = [...new Set(streamIds)].filter((streamId) => !this.streamVersions.has(streamId));
    if (unknown.length === 0) return;
    const versions = this.allVersionsKnown ? unknown.map(() => 0) : await this.backend.streamVersions(unknown);
    unknown.forEach((streamId, index) => this.streamVersions.fillIn(streamId, versions[index]));
  }

  /** Keeps the version cache within its capacity once a commit is done: the streams still queued stay. */
  private forgetIdleVersions(): void {
    if (this.streamVersions.size <= this.streamVersions.capacity) return;
    const queued = new Set(this.queue.map((append) => append.streamId));
    this.streamVersions.trim((streamId) => queued.has(streamId));
  }

  /**
   * Reads every stored stream's version, in one scan of the heads (the server starts it once it
   * serves): after it, an append to a new stream reads nothing before its batch is written.
   */
  async learnAllVersions(): Promise<void> {
    try {
      for await (const [streamId, version] of this.backend.readStreamHeads()) {
        if (this.closed) return;
        // More streams than the cache holds, or a version forgotten (the scan's may be older than
        // the one forgotten): appends read the versions they need instead.
        if (this.streamVersions.isFull || this.streamVersions.hasForgotten) return;
        this.streamVersions.fillIn(streamId, version);
      }
    } catch (error) {
      // Closing the log ends the scan: not a failure to report.
      if (this.closed) return;
      throw error;
    }
    this.allVersionsRead = true;
  }

  async readStream(streamId: string, fromVersion = 1, toVersion = Number.MAX_SAFE_INTEGER): Promise<StoredEvent[]> {
    if (this.closed) throw closedError();
    const events = await this.backend.readStream(streamId, Math.max(1, fromVersion), Math.min(toVersion, await this.streamVersion(streamId)));
    // A version read from the backend may be that of a batch written but not yet announced.
    const committed = this.logHead.position;
    return events.filter((event) => event.position <= committed);
  }

  /**
   * A search of the stream index, VERSION_SEARCH_FANOUT versions per lookup: a stream's positions
   * grow with its versions, so each lookup narrows the range to one of its slices.
   */
  async versionAt(streamId: string, position: number): Promise<number> {
    if (this.closed) throw closedError();
    const until = Math.min(position, this.logHead.position);
    // Invariant: version `low` is at or before `until` (0 always is), every version above `high` after it.
    let low = 0;
    let high = await this.streamVersion(streamId);
    while (low < high) {
      const step = Math.ceil((high - low) / VERSION_SEARCH_FANOUT);
      const probes = Array.from({ length: Math.ceil((high - low) / step) }, (_, index) => Math.min(high, low + step * (index + 1)));
      const positions = await this.backend.streamPositions(streamId, probes);
      const before = positions.findIndex((stored) => stored > until);
      if (before === -1) return probes[probes.length - 1];
      high = probes[before] - 1;
      if (before > 0) low = probes[before - 1];
    }
    return low;
  }

  /**
   * Point lookups of known positions, up to the head as each page is read: no LevelDB iterator,
   * whose native page buffer classic-level frees only when V8 collects it (a client paging through
   * GET /events at 230 requests/s drove the server to 2 GB that way).
   */
  async *readAll(after = 0, pageSize = READ_PAGE, types: ReadonlySet<string> | null = null, upTo = Number.POSITIVE_INFINITY): AsyncIterable<StoredEvent> {
    if (this.closed) throw closedError();
    // The head is read again for every page: events committed meanwhile are read too.
    for (let last = after; last < Math.min(upTo, this.logHead.position); ) {
      const to = Math.min(last + pageSize, upTo, this.logHead.position);
      const records = await this.backend.readPositions(last + 1, to);
      for (const record of records) if (types === null || types.has(recordType(record))) yield JSON.parse(record) as StoredEvent;
      last = to;
    }
  }

  subscribe(after: number): Observable<StoredEvent> {
    return new Observable<StoredEvent>((subscriber) => {
      let last = after;
      let live = false;
      const heldBack: StoredEvent[] = [];
      const forward = (event: StoredEvent) => {
        if (event.position <= last) return;
        last = event.position;
        subscriber.next(event);
      };
      // Listen before reading, so nothing committed during the catch-up read can fall between the two.
      const liveEvents = this.committed.subscribe({
        next: (event) => (live ? forward(event) : heldBack.push(event)),
        complete: () => subscriber.complete(),
      });
      (async () => {
        // Page by page, each page forwarded in one synchronous run: no promise per event. Nothing
        // to catch up (a live client starting at the head): no iterator is opened at all.
        const caughtUp = after >= this.logHead.position;
        for await (const page of caughtUp ? [] : this.backend.readPages(after)) {
          if (subscriber.closed) return;
          for (const record of page) forward(JSON.parse(record) as StoredEvent);
        }
        heldBack.forEach(forward);
        heldBack.length = 0;
        live = true;
      })().catch((error) => subscriber.error(error));
      return () => liveEvents.unsubscribe();
    });
  }

  head(): LogHead {
    return this.logHead;
  }

  /**
   * Read, not remembered: only streams appended to are kept, or a client reading the histories of
   * made-up ids would grow the map without end.
   */
  async streamVersion(streamId: string): Promise<number> {
    return this.streamVersions.get(streamId) ?? (this.allVersionsKnown ? 0 : (await this.backend.streamVersions([streamId]))[0]);
  }

  probeWrite(): Promise<void> {
    return this.backend.probe();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushing;
    this.committed.complete();
    await this.backend.close();
  }
}

/** Rejects every append of a batch that was not written: STORE_WRITE_FAILED, saying why. */
function failWrite(appends: PendingAppend[], reason: string, cause: unknown): void {
  const error = new StoreError('STORE_WRITE_FAILED', `the event log could not be written: ${reason}${describe(cause)}`, {}, { cause });
  for (const append of appends) append.reject(error);
}

function appendProblem(streamId: string, events: NewEvent[], meta: EventMeta): string | null {
  if (!STREAM_ID.test(streamId)) return `stream id ${JSON.stringify(streamId)} is not 1-128 letters, digits, _ or -`;
  if (events.length === 0) return 'an append needs at least one event';
  for (const event of events) {
    const problem = eventProblem(event.type, currentSchemaVersion(event.type) ?? 0, event.data);
    if (problem) return problem;
  }
  return metaProblem(meta);
}

/** A backend's stored records one by one, after `after`. */
export async function* recordsOf(backend: LogBackend, after: number): AsyncIterable<string> {
  for await (const page of backend.readPages(after)) yield* page;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const closedError = () => new StoreError('STORE_CLOSED', 'the event log is closed');

function conflict(streamId: string, expectedVersion: number, actualVersion: number): StoreError {
  return new StoreError(
    'STORE_VERSION_CONFLICT',
    `stream ${streamId} is at version ${actualVersion}, not ${expectedVersion}`,
    { streamId, expectedVersion, actualVersion },
  );
}

function describe(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}
