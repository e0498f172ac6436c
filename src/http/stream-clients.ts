import type { EventFilter } from './event-filter';

interface StreamClient {
  filter: EventFilter;
  close(): void;
}

/** The live-stream clients connected now: to close them at shutdown and to count who would see a notice. */
export class StreamClients {
  private readonly clients = new Set<StreamClient>();

  /** Registers a client; the returned function unregisters it. */
  add(client: StreamClient): () => void {
    this.clients.add(client);
    return () => this.clients.delete(client);
  }

  /** How many connected clients would receive an event of this type on this session's stream. */
  countReceiving(type: string, streamId: string): number {
    let count = 0;
    for (const { filter } of this.clients) if (filter.matches({ type, streamId })) count += 1;
    return count;
  }

  closeAll(): void {
    for (const client of [...this.clients]) client.close();
  }
}
