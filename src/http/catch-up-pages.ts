import type { StoredEvent } from '../../events/envelope';
import type { EventStore } from '../store';
import type { EventFilter } from './event-filter';
import { Slots } from './slots';

/*
 * The log as the live stream's catch-up reads it: in aligned pages of framed events, cached and
 * shared. A hundred clients catching up from position 0 read and frame each page once; a page no
 * client holds yet is read by at most a few readers at a time, the rest wait for theirs.
 */

export interface FramedEvent {
  position: number;
  type: string;
  streamId: string;
  frame: Buffer;
}

export interface CatchUpPage {
  /** The positions it holds: `last` is short of the page's end when the page was read at the head. */
  first: number;
  last: number;
  events: FramedEvent[];
  /** Every frame of the page in one Buffer: what each client without a filter is sent, shared. */
  all: Buffer;
}

export interface CatchUpPagesOptions {
  /** Frame bytes the cache keeps; the least recently used pages go first. */
  maxCachedBytes: number;
  /** Pages read from the log at once; other readers queue. */
  maxConcurrentReads: number;
  /** Builds an event's frame (counted by the caller). */
  frame(event: StoredEvent): Buffer;
}

/** Events per page: small enough that framing one holds the event loop briefly. */
export const CATCH_UP_PAGE_EVENTS = 128;

const pageIndexAfter = (after: number) => Math.floor(after / CATCH_UP_PAGE_EVENTS);

export class CatchUpPages {
  /** Insertion order is recency: a page read is moved to the end. */
  private readonly cache = new Map<number, CatchUpPage>();
  private cachedBytes = 0;
  private readonly loading = new Map<number, Promise<CatchUpPage>>();
  private readonly reads: Slots;

  constructor(
    private readonly store: EventStore,
    private readonly options: CatchUpPagesOptions,
  ) {
    this.reads = new Slots(options.maxConcurrentReads);
  }

  /** The page that holds position `after + 1`; it may hold more after it. */
  async pageAfter(after: number): Promise<CatchUpPage> {
    const index = pageIndexAfter(after);
    const cached = this.cache.get(index);
    if (cached !== undefined && cached.last > after) {
      this.cache.delete(index);
      this.cache.set(index, cached);
      return cached;
    }
    const running = this.loading.get(index);
    if (running !== undefined) {
      const page = await running;
      if (page.last > after) return page;
    }
    const page = await this.load(index);
    if (page.last <= after) throw new Error(`position ${after + 1} is not in the log`);
    return page;
  }

  stats(): { pages: number; bytes: number; readsWaiting: number } {
    return { pages: this.cache.size, bytes: this.cachedBytes, readsWaiting: this.reads.queued };
  }

  clear(): void {
    this.cache.clear();
    this.cachedBytes = 0;
  }

  private load(index: number): Promise<CatchUpPage> {
    const running = this.loading.get(index);
    if (running !== undefined) return running;
    const loading = this.read(index).finally(() => this.loading.delete(index));
    this.loading.set(index, loading);
    return loading;
  }

  private async read(index: number): Promise<CatchUpPage> {
    await this.reads.acquire();
    try {
      const first = index * CATCH_UP_PAGE_EVENTS + 1;
      const end = first + CATCH_UP_PAGE_EVENTS - 1;
      const events: FramedEvent[] = [];
      for await (const event of this.store.readAll(first - 1, CATCH_UP_PAGE_EVENTS, null, end)) {
        events.push({ position: event.position, type: event.type, streamId: event.streamId, frame: this.options.frame(event) });
        if (event.position >= end) break;
      }
      const page: CatchUpPage = { first, last: events.length > 0 ? events[events.length - 1].position : first - 1, events, all: Buffer.concat(events.map((event) => event.frame)) };
      this.keep(index, page);
      return page;
    } finally {
      this.reads.release();
    }
  }

  private keep(index: number, page: CatchUpPage): void {
    const previous = this.cache.get(index);
    if (previous !== undefined) {
      this.cache.delete(index);
      this.cachedBytes -= previous.all.length;
    }
    if (page.events.length === 0 || page.all.length > this.options.maxCachedBytes) return;
    this.cache.set(index, page);
    this.cachedBytes += page.all.length;
    for (const [oldest, old] of this.cache) {
      if (this.cachedBytes <= this.options.maxCachedBytes) break;
      this.cache.delete(oldest);
      this.cachedBytes -= old.all.length;
    }
  }
}

const takesEverything = (filter: EventFilter) => filter.types === null && filter.sessionId === null;

/** What a client at `after` is sent from the page: the shared Buffer when it takes all of it, null when nothing matches. */
export function framesAfter(page: CatchUpPage, after: number, filter: EventFilter): Buffer | null {
  if (after < page.first && takesEverything(filter)) return page.all.length > 0 ? page.all : null;
  const frames = page.events.filter((event) => event.position > after && filter.matches(event)).map((event) => event.frame);
  if (frames.length === 0) return null;
  return frames.length === 1 ? frames[0] : Buffer.concat(frames);
}
