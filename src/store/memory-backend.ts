import type { StoredEvent } from '../../events/envelope';
import { StoreError } from './errors';
import type { LogBackend, LogHead, SerializedEvent } from './event-store';
import { GENESIS_HASH } from './hash-chain';

const PAGE = 1000;

/** The log kept in memory as the text a disk would hold: for tests and tools that need no durability. */
export class MemoryBackend implements LogBackend {
  private readonly events: string[] = [];
  private readonly streams = new Map<string, string[]>();
  private readonly streamIndex = new Map<string, number[]>();

  async load() {
    return { head: { position: 0, hash: GENESIS_HASH } };
  }

  async streamVersions(streamIds: readonly string[]): Promise<number[]> {
    return streamIds.map((streamId) => this.streams.get(streamId)?.length ?? 0);
  }

  async *readStreamHeads(): AsyncIterable<[string, number]> {
    for (const [streamId, events] of this.streams) yield [streamId, events.length];
  }

  async write(events: readonly SerializedEvent[], _streamVersions: ReadonlyMap<string, number>, _head: LogHead): Promise<void> {
    for (const { event, json } of events) {
      this.events.push(json);
      const stream = this.streams.get(event.streamId) ?? [];
      stream.push(json);
      this.streams.set(event.streamId, stream);
      const positions = this.streamIndex.get(event.streamId) ?? [];
      positions.push(event.position);
      this.streamIndex.set(event.streamId, positions);
    }
  }

  async readStream(streamId: string, fromVersion: number, toVersion: number): Promise<StoredEvent[]> {
    return (this.streams.get(streamId) ?? []).slice(fromVersion - 1, toVersion).map((json) => JSON.parse(json) as StoredEvent);
  }

  async streamPositions(streamId: string, versions: readonly number[]): Promise<number[]> {
    const positions = this.streamIndex.get(streamId) ?? [];
    return versions.map((version) => {
      const position = positions[version - 1];
      if (position === undefined) throw new StoreError('STORE_CORRUPT', `the stream index has no entry for ${streamId} version ${version}`);
      return position;
    });
  }

  async readPositions(from: number, to: number): Promise<string[]> {
    return this.events.slice(from - 1, to);
  }

  async *readPages(after: number): AsyncIterable<string[]> {
    for (let start = after; start < this.events.length; start += PAGE) yield this.events.slice(start, start + PAGE);
  }

  async *readStreamIndex(): AsyncIterable<{ streamId: string; version: number; position: number }> {
    for (const streamId of [...this.streams.keys()].sort()) {
      for (const index of this.streams.get(streamId)!.keys()) {
        yield { streamId, version: index + 1, position: this.streamIndex.get(streamId)![index] };
      }
    }
  }

  async probe(): Promise<void> {}

  async close(): Promise<void> {}
}
