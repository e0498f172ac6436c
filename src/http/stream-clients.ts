import type { ServerResponse } from 'node:http';
import type { Subscription } from 'rxjs';
import type { StoredEvent } from '../../events/envelope';
import { ApiError } from '../errors';
import type { EventStore } from '../store';
import { CatchUpPages, framesAfter } from './catch-up-pages';
import type { EventFilter } from './event-filter';
import { Slots } from './slots';
import { eventFrame, noticeFrame } from './sse-frames';
import { StreamClient, type StreamSettings } from './stream-client';

export interface StreamClientsOptions {
  /** Clients connected at once; past it a new one gets 503 overloaded. */
  maxClients: number;
  /** Unsent bytes across every client; past it the slowest clients are dropped. */
  maxTotalBufferedBytes: number;
  /** Frame bytes of catch-up pages kept for clients that catch up after one another. */
  maxCachedCatchUpBytes?: number;
  /** Pages read from the log at once for catch-ups. */
  maxConcurrentCatchUpReads?: number;
  /** Clients handed a catch-up page at once; the others wait their turn. */
  maxConcurrentCatchUps?: number;
}

export interface StreamStats {
  clients: number;
  live: number;
  /** Dropped clients whose final error event is still on its way. */
  draining: number;
  /** Unsent bytes of the clients still taking events. */
  bufferedBytes: number;
  drainingBytes: number;
  /** The most `bufferedBytes` has been after an event was handed out. */
  peakBufferedBytes: number;
  /** Events and notices turned into frames: once each, whatever the number of clients. */
  framesSerialised: number;
  dropped: number;
  refused: number;
  cachedPages: number;
}

const DEFAULT_CACHED_CATCH_UP_BYTES = 32 * 1024 * 1024;
const DEFAULT_CONCURRENT_CATCH_UP_READS = 2;
const DEFAULT_CONCURRENT_CATCH_UPS = 8;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const slowestFirst = (a: StreamClient, b: StreamClient) => b.buffered - a.buffered;

/**
 * The live-stream clients: one subscription to the log for all of them, each event framed once and
 * the same frame handed to every client whose filter takes it. Clients catch up from shared pages,
 * then turn live. The number of clients and the bytes they leave unsent are both bounded.
 */
export class StreamClients {
  private readonly clients = new Set<StreamClient>();
  private readonly draining = new Set<StreamClient>();
  private readonly pages: CatchUpPages;
  /** Turns at handing out catch-up pages: a few clients at a time, so a turn of the event loop stays short. */
  private readonly catchUpTurns: Slots;
  private readonly subscription: Subscription;
  /** The last position handed to live clients: a client that has reached it turns live. */
  private livePosition: number;
  private stopped = false;
  private readonly counts = { framesSerialised: 0, dropped: 0, refused: 0, peakBufferedBytes: 0 };

  constructor(
    store: EventStore,
    private readonly options: StreamClientsOptions,
  ) {
    this.pages = new CatchUpPages(store, {
      maxCachedBytes: options.maxCachedCatchUpBytes ?? DEFAULT_CACHED_CATCH_UP_BYTES,
      maxConcurrentReads: options.maxConcurrentCatchUpReads ?? DEFAULT_CONCURRENT_CATCH_UP_READS,
      frame: (event) => this.frame(event),
    });
    this.catchUpTurns = new Slots(options.maxConcurrentCatchUps ?? DEFAULT_CONCURRENT_CATCH_UPS);
    this.livePosition = store.head().position;
    this.subscription = store.subscribe(this.livePosition).subscribe({
      next: (event) => this.dispatch(event),
      complete: () => this.closeAll(),
      error: () => this.closeAll(),
    });
  }

  /**
   * A new client after `after`, or 503 overloaded when as many as the cap are connected. It is
   * sent the catch-up once the caller has written the response head (`start`).
   */
  connect(res: ServerResponse, filter: EventFilter, after: number, settings: StreamSettings): StreamClient {
    if (this.stopped) throw new ApiError('overloaded', 'The server is shutting down.', undefined, { 'Retry-After': '1' });
    if (this.clients.size >= this.options.maxClients) {
      this.counts.refused += 1;
      throw new ApiError('overloaded', `${this.options.maxClients} live-stream clients are connected, the most this server takes: try again later.`, undefined, {
        'Retry-After': '5',
      });
    }
    const client = new StreamClient(res, filter, after, settings, {
      ended: (ended, dropped) => {
        this.clients.delete(ended);
        if (dropped) {
          this.counts.dropped += 1;
          if (ended.buffered > 0) this.draining.add(ended);
        }
      },
      gone: (gone) => this.draining.delete(gone),
    });
    this.clients.add(client);
    return client;
  }

  /**
   * Sends the client what it missed, page by page, then hands it live events. A client holds a turn
   * only while it is handed a page, not while its socket drains: one that does not read keeps
   * nobody else waiting.
   */
  async start(client: StreamClient): Promise<void> {
    try {
      while (client.open) {
        // Checked and set in one turn: every later event reaches it through `dispatch`.
        if (client.position >= this.livePosition) {
          client.live = true;
          return;
        }
        let flowing = true;
        await this.catchUpTurns.acquire();
        try {
          if (!client.open) return;
          const page = await this.pages.pageAfter(client.position);
          if (!client.open) return;
          const frames = framesAfter(page, client.position, client.filter);
          client.position = Math.max(client.position, page.last);
          if (frames !== null) {
            this.makeRoom(frames.length, new Set([client]));
            flowing = client.send(frames);
          }
        } finally {
          this.catchUpTurns.release();
        }
        if (!flowing) await client.drained();
        await nextTurn();
      }
    } catch {
      // The log closed under the catch-up (shutdown): the client reconnects with Last-Event-ID.
      client.close();
    }
  }

  /**
   * Sends a transient notice to every client whose filter takes it, and says how many did. A notice
   * has no log position, so its frame has no `id:`: a client's Last-Event-ID stays on the log.
   */
  notify(type: string, streamId: string, data: object): number {
    const recipients = [...this.clients].filter((client) => client.filter.matches({ type, streamId }));
    if (recipients.length > 0) {
      this.counts.framesSerialised += 1;
      this.deliver(noticeFrame(type, data), recipients);
    }
    return recipients.length;
  }

  stats(): StreamStats {
    let live = 0;
    let bufferedBytes = 0;
    let drainingBytes = 0;
    for (const client of this.clients) {
      if (client.live) live += 1;
      bufferedBytes += client.buffered;
    }
    for (const client of this.draining) drainingBytes += client.buffered;
    return { clients: this.clients.size, live, draining: this.draining.size, bufferedBytes, drainingBytes, ...this.counts, cachedPages: this.pages.stats().pages };
  }

  /** At shutdown: every client is closed (each resumes later) and no new one is taken. */
  closeAll(): void {
    this.stopped = true;
    this.subscription?.unsubscribe();
    for (const client of [...this.clients]) client.close();
    for (const client of [...this.draining]) client.destroy();
    this.pages.clear();
  }

  private frame(event: StoredEvent): Buffer {
    this.counts.framesSerialised += 1;
    return eventFrame(event);
  }

  private dispatch(event: StoredEvent): void {
    this.livePosition = event.position;
    const recipients: StreamClient[] = [];
    for (const client of this.clients) {
      if (!client.live || event.position <= client.position) continue;
      client.position = event.position;
      if (client.filter.matches(event)) recipients.push(client);
    }
    if (recipients.length > 0) this.deliver(this.frame(event), recipients);
  }

  private deliver(frame: Buffer, recipients: readonly StreamClient[]): void {
    this.makeRoom(frame.length, new Set(recipients));
    for (const client of recipients) client.send(frame);
    let buffered = 0;
    for (const client of this.clients) buffered += client.buffered;
    this.counts.peakBufferedBytes = Math.max(this.counts.peakBufferedBytes, buffered);
  }

  /**
   * Keeps the unsent bytes of every client under the cap once `incoming` bytes go to each of the
   * `recipients`: dropped clients still holding bytes are closed first, then the clients with the
   * most unsent bytes are dropped. A client with nothing unsent is never dropped for others.
   */
  private makeRoom(incoming: number, recipients: ReadonlySet<StreamClient>): void {
    const cap = this.options.maxTotalBufferedBytes;
    let held = 0;
    for (const client of this.draining) held += client.buffered;
    let projected = incoming * recipients.size;
    for (const client of this.clients) projected += client.buffered;
    if (projected + held <= cap) return;
    for (const client of [...this.draining].sort(slowestFirst)) {
      if (projected + held <= cap) break;
      held -= client.buffered;
      client.destroy();
    }
    for (const client of [...this.clients].sort(slowestFirst)) {
      if (projected <= cap) break;
      const buffered = client.buffered;
      if (buffered === 0) break;
      projected -= buffered + (recipients.has(client) ? incoming : 0);
      client.drop();
    }
  }
}

export type { StreamSettings };
