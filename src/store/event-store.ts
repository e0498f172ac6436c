import type { Observable } from 'rxjs';
import type { EventMeta, NewEvent, StoredEvent } from '../../events/envelope';

/** A stream's version before an append: 0 means the stream must not exist yet; 'any' skips the check. */
export type ExpectedVersion = number | 'any';

export interface LogHead {
  position: number;
  hash: string;
}

export interface AppendResult {
  streamId: string;
  /** The stream's version after the append. */
  version: number;
  /** Global position of the last appended event: wait for a projection to reach it to read your write. */
  position: number;
  events: StoredEvent[];
}

/**
 * The append-only event log. Positions are dense from 1, each stream has its own version, every
 * event is hash-chained to the one before it, and append resolves only once the events are durable.
 */
export interface EventStore {
  /** The log takes the events and meta as they are at the call: it serialises them at once. */
  append(streamId: string, expectedVersion: ExpectedVersion, events: NewEvent[], meta: EventMeta): Promise<AppendResult>;
  /**
   * The stream's events from `fromVersion` (default 1) to `toVersion` (default: its last) in order;
   * empty for an unknown stream. Only those versions are read: a page of a long stream costs a page.
   */
  readStream(streamId: string, fromVersion?: number, toVersion?: number): Promise<StoredEvent[]>;
  /**
   * The stream's version once the log had reached `position` (that of its last event at or before
   * it), 0 if it had none yet: a search of the stream index, no event read.
   */
  versionAt(streamId: string, position: number): Promise<number>;
  /**
   * Every event after `after` (default 0) in log order, read `pageSize` events at a time (default
   * 1000): a caller that wants only a few asks for a small page. With `types`, only the events of
   * those types; the others are skipped unparsed. With `upTo`, nothing after that position.
   */
  readAll(after?: number, pageSize?: number, types?: ReadonlySet<string> | null, upTo?: number): AsyncIterable<StoredEvent>;
  /** Catch-up from `after`, then live: every later event once, in order, with no gap. */
  subscribe(after: number): Observable<StoredEvent>;
  head(): LogHead;
  /** The stream's committed version; 0 for a stream with no events. */
  streamVersion(streamId: string): Promise<number>;
  /** Reads every stream's version in advance, so that appends to new streams need no read first. */
  learnAllVersions(): Promise<void>;
  /** A durable write outside the log, to learn whether the disk accepts writes again. */
  probeWrite(): Promise<void>;
  close(): Promise<void>;
}

/** An event with the exact text the log stores for it (its hash covers that text). */
export interface SerializedEvent {
  event: StoredEvent;
  json: string;
}

/** What a storage engine provides; the log's rules (versions, positions, hashes, batching) are shared. */
export interface LogBackend {
  /** Opens the store and reads its head; streams' versions are read when asked for. */
  load(): Promise<{ head: LogHead }>;
  /** Each stream's stored version (its head), 0 for a stream with none, in the order asked. */
  streamVersions(streamIds: readonly string[]): Promise<number[]>;
  /** Every stream's stored version (verify compares them with the events). */
  readStreamHeads(): AsyncIterable<[streamId: string, version: number]>;
  /** Stores the events with the new stream versions and head in one atomic, durable write. */
  write(events: readonly SerializedEvent[], streamVersions: ReadonlyMap<string, number>, head: LogHead): Promise<void>;
  /** The stream's events from `fromVersion` to `toVersion` (its version as last committed), in order. */
  readStream(streamId: string, fromVersion: number, toVersion: number): Promise<StoredEvent[]>;
  /** The positions of these versions of the stream (all stored), in the order asked: its index, no event read. */
  streamPositions(streamId: string, versions: readonly number[]): Promise<number[]>;
  /** The stored text of the events at positions `from` to `to` (both committed), in order. */
  readPositions(from: number, to: number): Promise<string[]>;
  /** The stored text of every event after `after`, in log order, a page at a time (one scan: replays and tools). */
  readPages(after: number): AsyncIterable<string[]>;
  /** Every entry of the stream index, by stream then version. */
  readStreamIndex(): AsyncIterable<{ streamId: string; version: number; position: number }>;
  probe(): Promise<void>;
  close(): Promise<void>;
}
