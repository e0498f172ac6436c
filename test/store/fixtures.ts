import type { EventMeta, NewEvent } from '../../events/envelope';
import type { SessionCreatedData } from '../../events/sessions';
import type { LogBackend, LogHead, SerializedEvent } from '../../src/store';


let requests = 0;

export function sessionData(overrides: Partial<SessionCreatedData> = {}): SessionCreatedData {
  return {
    title: 'Mixdown',
    kind: 'music',
    status: 'in-progress',
    accent: '#33aa77',
    tags: ['demo', 'vocals'],
    notes: 'second take',
    client: null,
    projectPath: '/projects/mixdown',
    ...overrides,
  };
}

export function sessionCreated(overrides: Partial<SessionCreatedData> = {}): NewEvent {
  return { type: 'SessionCreated', data: { ...sessionData(overrides) } };
}

export function meta(overrides: Partial<EventMeta> = {}): EventMeta {
  requests += 1;
  return { at: new Date().toISOString(), requestId: `req-${requests}`, actor: 'test', ...overrides };
}

class DelegatingBackend implements LogBackend {
  constructor(private readonly inner: LogBackend) {}

  load() {
    return this.inner.load();
  }

  write(events: readonly SerializedEvent[], streamVersions: ReadonlyMap<string, number>, head: LogHead): Promise<void> {
    return this.inner.write(events, streamVersions, head);
  }

  streamVersions(streamIds: readonly string[]) {
    return this.inner.streamVersions(streamIds);
  }

  readStreamHeads() {
    return this.inner.readStreamHeads();
  }

  readStream(streamId: string, fromVersion: number, toVersion: number) {
    return this.inner.readStream(streamId, fromVersion, toVersion);
  }

  streamPositions(streamId: string, versions: readonly number[]) {
    return this.inner.streamPositions(streamId, versions);
  }

  readPositions(from: number, to: number) {
    return this.inner.readPositions(from, to);
  }

  readPages(after: number): AsyncIterable<string[]> {
    return this.inner.readPages(after);
  }

  readStreamIndex() {
    return this.inner.readStreamIndex();
  }

  probe() {
    return this.inner.probe();
  }

  close() {
    return this.inner.close();
  }
}

/** A backend whose writes (and, while `failingReads` is set, reads of stream versions) fail with EIO, as a broken disk would. */
export class FlakyBackend extends DelegatingBackend {
  failing = false;
  failingReads = false;

  override async streamVersions(streamIds: readonly string[]): Promise<number[]> {
    if (this.failingReads) throw Object.assign(new Error('i/o error'), { code: 'EIO' });
    return super.streamVersions(streamIds);
  }

  override async write(events: readonly SerializedEvent[], streamVersions: ReadonlyMap<string, number>, head: LogHead): Promise<void> {
    if (this.failing) throw Object.assign(new Error('i/o error'), { code: 'EIO' });
    await super.write(events, streamVersions, head);
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** A backend whose writes wait, once `hold()` is called, until `release()`; it notes the versions read meanwhile. */
export class HeldWrites extends DelegatingBackend {
  private held: { promise: Promise<void>; resolve: () => void } | null = null;
  private writing = deferred();
  /** Resolves once a write is waiting to be released. */
  readonly waiting = this.writing.promise;
  readonly versionReadsWhileHeld: string[][] = [];

  hold(): void {
    this.held = deferred();
  }

  release(): void {
    this.held?.resolve();
    this.held = null;
  }

  override async write(events: readonly SerializedEvent[], streamVersions: ReadonlyMap<string, number>, head: LogHead): Promise<void> {
    if (this.held) {
      this.writing.resolve();
      await this.held.promise;
    }
    await super.write(events, streamVersions, head);
  }

  override streamVersions(streamIds: readonly string[]): Promise<number[]> {
    if (this.held) this.versionReadsWhileHeld.push([...streamIds]);
    return super.streamVersions(streamIds);
  }
}

/** A backend whose scan of the stream heads yields nothing until `go()`, then the heads as they were when it began. */
export class StaleHeads extends DelegatingBackend {
  private readonly gate = deferred();

  go(): void {
    this.gate.resolve();
  }

  override async *readStreamHeads(): AsyncIterable<[string, number]> {
    const heads: Array<[string, number]> = [];
    for await (const head of super.readStreamHeads()) heads.push(head);
    await this.gate.promise;
    yield* heads;
  }
}

/** A backend whose scan of the stream heads, after its first head, waits for `go()` and then fails as a closed LevelDB would. */
export class FailingHeads extends DelegatingBackend {
  private readonly gate = deferred();
  private readonly started = deferred();
  /** Resolves once the scan has begun and waits. */
  readonly scanning = this.started.promise;

  go(): void {
    this.gate.resolve();
  }

  override async *readStreamHeads(): AsyncIterable<[string, number]> {
    this.started.resolve();
    await this.gate.promise;
    throw Object.assign(new Error('Iterator is not open'), { code: 'LEVEL_ITERATOR_NOT_OPEN' });
  }
}

/**
 * A backend that counts the log scans (`readPages`), notes the stream versions it is asked for, and
 * counts the stream index entries and stream events it reads.
 */
export class CountingReads extends DelegatingBackend {
  scans = 0;
  readonly versionReads: string[][] = [];
  indexEntriesRead = 0;
  streamEventsRead = 0;

  override streamPositions(streamId: string, versions: readonly number[]): Promise<number[]> {
    this.indexEntriesRead += versions.length;
    return super.streamPositions(streamId, versions);
  }

  override async readStream(streamId: string, fromVersion: number, toVersion: number) {
    const events = await super.readStream(streamId, fromVersion, toVersion);
    this.streamEventsRead += events.length;
    return events;
  }

  override streamVersions(streamIds: readonly string[]): Promise<number[]> {
    this.versionReads.push([...streamIds]);
    return super.streamVersions(streamIds);
  }

  override readPages(after: number): AsyncIterable<string[]> {
    this.scans += 1;
    return super.readPages(after);
  }
}

/** A backend whose log reads hold still after their first event until `resume()`. */
export class PausingReads extends DelegatingBackend {
  private readonly pause = deferred();
  private readonly resumption = deferred();
  private readonly end = deferred();
  /** Resolves once a read has yielded its first page and holds still. */
  readonly paused = this.pause.promise;
  /** Resolves once a read has yielded its last page. */
  readonly ended = this.end.promise;

  resume(): void {
    this.resumption.resolve();
  }

  override async *readPages(after: number): AsyncIterable<string[]> {
    let first = true;
    for await (const page of super.readPages(after)) {
      yield page;
      if (first) {
        first = false;
        this.pause.resolve();
        await this.resumption.promise;
      }
    }
    this.end.resolve();
  }
}
