import type { StoredEvent } from '../../events/envelope';
import type { LogBackend, LogHead } from './event-store';
import { GENESIS_HASH } from './hash-chain';

/** The log kept in memory, handing out copies as a disk would: for tests and tools that need no durability. */
export class MemoryBackend implements LogBackend {
  private readonly events: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();

  async load() {
    return { head: { position: 0, hash: GENESIS_HASH }, streamVersions: new Map<string, number>() };
  }

  async write(events: StoredEvent[], _streamVersions: ReadonlyMap<string, number>, _head: LogHead): Promise<void> {
    for (const event of structuredClone(events)) {
      this.events.push(event);
      const stream = this.streams.get(event.streamId) ?? [];
      stream.push(event);
      this.streams.set(event.streamId, stream);
    }
  }

  async readStream(streamId: string, fromVersion: number): Promise<StoredEvent[]> {
    return structuredClone((this.streams.get(streamId) ?? []).slice(fromVersion - 1));
  }

  async *readAll(after: number): AsyncIterable<StoredEvent> {
    for (let index = after; index < this.events.length; index += 1) yield structuredClone(this.events[index]);
  }

  async probe(): Promise<void> {}

  async close(): Promise<void> {}
}
