import type { StoredEvent } from '../../events/envelope';
import type { LogBackend, LogHead, SerializedEvent } from './event-store';
import { GENESIS_HASH } from './hash-chain';

/** The log kept in memory as the text a disk would hold: for tests and tools that need no durability. */
export class MemoryBackend implements LogBackend {
  private readonly events: string[] = [];
  private readonly streams = new Map<string, string[]>();

  async load() {
    return { head: { position: 0, hash: GENESIS_HASH }, streamVersions: new Map<string, number>() };
  }

  async write(events: readonly SerializedEvent[], _streamVersions: ReadonlyMap<string, number>, _head: LogHead): Promise<void> {
    for (const { event, json } of events) {
      this.events.push(json);
      const stream = this.streams.get(event.streamId) ?? [];
      stream.push(json);
      this.streams.set(event.streamId, stream);
    }
  }

  async readStream(streamId: string, fromVersion: number): Promise<StoredEvent[]> {
    return (this.streams.get(streamId) ?? []).slice(fromVersion - 1).map((json) => JSON.parse(json) as StoredEvent);
  }

  async *readAll(after: number): AsyncIterable<StoredEvent> {
    for (let index = after; index < this.events.length; index += 1) yield JSON.parse(this.events[index]) as StoredEvent;
  }

  async probe(): Promise<void> {}

  async close(): Promise<void> {}
}
