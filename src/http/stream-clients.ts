import type { EventFilter } from './event-filter';

interface StreamClient {
  filter: EventFilter;
  /** Writes one SSE frame to the client. */
  send(frame: string): void;
  close(): void;
}

/** The live-stream clients connected now: to close them at shutdown and to hand them notices. */
export class StreamClients {
  private readonly clients = new Set<StreamClient>();

  /** Registers a client; the returned function unregisters it. */
  add(client: StreamClient): () => void {
    this.clients.add(client);
    return () => this.clients.delete(client);
  }

  /**
   * Sends a transient notice to every client whose filter takes it, and says how many did. A notice
   * has no log position, so its frame has no `id:`: a client's Last-Event-ID stays on the log.
   */
  notify(type: string, streamId: string, data: object): number {
    const frame = `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    let count = 0;
    for (const client of [...this.clients]) {
      if (!client.filter.matches({ type, streamId })) continue;
      client.send(frame);
      count += 1;
    }
    return count;
  }

  closeAll(): void {
    for (const client of [...this.clients]) client.close();
  }
}
