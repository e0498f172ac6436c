import type { StoredEvent } from '../../events/envelope';
import type { EventStore } from '../store';
import type { EventFilter } from './event-filter';
import { Slots } from './slots';

/*
 * The log as the live stream's catch-up reads it: in pages of framed events, cached and shared. A
 * hundred clients catching up from position 0 read and frame each page once; a page no client holds
 * yet is read by at most a few readers at a time, the rest wait for theirs. A page ends at a slot
 * of CATCH_UP_PAGE_EVENTS positions (so clients that start apart meet on the same pages) or once its
 * frames pass the byte budget, whichever comes first: a few large events make a page of their own.
 */

export interface FramedEvent {
  position: number;
  type: string;
  streamId: string;
  /** A view into the page's `all`: the bytes are held once. */
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
  /** Frame bytes past which a page ends (it holds at most this plus one event). */
  maxPageBytes?: number;
  /** Builds an event's frame (counted by the caller). */
  frame(event: StoredEvent): Buffer;
}

/** Events per page at most: small enough that framing one holds the event loop briefly. */
export const CATCH_UP_PAGE_EVENTS = 128;

/** Frame bytes past which a page ends unless the options say otherwise. */
export const DEFAULT_CATCH_UP_PAGE_BYTES = 8 * 1024 * 1024;

/** Events read from the log in one go while a page fills, at most; fewer once large events are seen. */
const MAX_READ_BATCH = 32;

const slotStart = (after: number) => Math.floor(after / CATCH_UP_PAGE_EVENTS) * CATCH_UP_PAGE_EVENTS + 1;

export class CatchUpPages {
  /** Pages by their first position; insertion order is recency: a page read is moved to the end. */
  private readonly cache = new Map<number, CatchUpPage>();
  private cachedBytes = 0;
  private readonly loading = new Map<number, Promise<CatchUpPage>>();
  private readonly reads: Slots;
  private readonly maxPageBytes: number;

  constructor(
    private readonly store: EventStore,
    private readonly options: CatchUpPagesOptions,
  ) {
    this.reads = new Slots(options.maxConcurrentReads);
    this.maxPageBytes = options.maxPageBytes ?? DEFAULT_CATCH_UP_PAGE_BYTES;
  }

  /** A page that holds position `after + 1`; it may hold more after it, and positions before it. */
  async pageAfter(after: number): Promise<CatchUpPage> {
    const covers = (page: CatchUpPage | undefined): page is CatchUpPage => page !== undefined && page.first <= after + 1 && page.last > after;
    for (const first of new Set([after + 1, slotStart(after)])) {
      const cached = this.cache.get(first);
      if (covers(cached)) {
        this.cache.delete(first);
        this.cache.set(first, cached);
        return cached;
      }
      const running = this.loading.get(first);
      if (running !== undefined) {
        const page = await running;
        if (covers(page)) return page;
      }
    }
    const page = await this.load(after + 1);
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

  private load(first: number): Promise<CatchUpPage> {
    const running = this.loading.get(first);
    if (running !== undefined) return running;
    const loading = this.read(first).finally(() => this.loading.delete(first));
    this.loading.set(first, loading);
    return loading;
  }

  /**
   * Reads from `first` to the end of its slot or past the byte budget. The log is read a few events
   * at a time, fewer as the largest event seen grows, so a run of large events is not read whole.
   */
  private async read(first: number): Promise<CatchUpPage> {
    await this.reads.acquire();
    try {
      const end = slotStart(first - 1) + CATCH_UP_PAGE_EVENTS - 1;
      const events: Omit<FramedEvent, 'frame'>[] = [];
      const frames: Buffer[] = [];
      let bytes = 0;
      let largest = 0;
      let last = first - 1;
      let more = true;
      while (more && last < end && bytes < this.maxPageBytes) {
        const batch = Math.max(1, Math.min(MAX_READ_BATCH, end - last, largest === 0 ? 1 : Math.floor((this.maxPageBytes - bytes) / largest)));
        more = false;
        for await (const event of this.store.readAll(last, batch, null, last + batch)) {
          const frame = this.options.frame(event);
          events.push({ position: event.position, type: event.type, streamId: event.streamId });
          frames.push(frame);
          bytes += frame.length;
          largest = Math.max(largest, frame.length);
          last = event.position;
          more = true;
          if (bytes >= this.maxPageBytes) break;
        }
      }
      const page = joined(first, events, frames, bytes);
      this.keep(page);
      return page;
    } finally {
      this.reads.release();
    }
  }

  private keep(page: CatchUpPage): void {
    const previous = this.cache.get(page.first);
    if (previous !== undefined) {
      this.cache.delete(page.first);
      this.cachedBytes -= previous.all.length;
    }
    if (page.events.length === 0 || page.all.length > this.options.maxCachedBytes) return;
    this.cache.set(page.first, page);
    this.cachedBytes += page.all.length;
    for (const [oldest, old] of this.cache) {
      if (this.cachedBytes <= this.options.maxCachedBytes) break;
      this.cache.delete(oldest);
      this.cachedBytes -= old.all.length;
    }
  }
}

/** The page with its frames copied into one Buffer, each event's frame a view into it. */
function joined(first: number, events: Omit<FramedEvent, 'frame'>[], frames: Buffer[], bytes: number): CatchUpPage {
  const all = Buffer.concat(frames, bytes);
  let offset = 0;
  const framed = events.map((event, index): FramedEvent => {
    const frame = all.subarray(offset, offset + frames[index].length);
    offset += frame.length;
    return { ...event, frame };
  });
  return { first, last: events.length > 0 ? events[events.length - 1].position : first - 1, events: framed, all };
}

const takesEverything = (filter: EventFilter) => filter.types === null && filter.sessionId === null;

/** What a client at `after` is sent from the page: the shared Buffer when it takes all of it, null when nothing matches. */
export function framesAfter(page: CatchUpPage, after: number, filter: EventFilter): Buffer | null {
  if (after < page.first && takesEverything(filter)) return page.all.length > 0 ? page.all : null;
  const frames = page.events.filter((event) => event.position > after && filter.matches(event)).map((event) => event.frame);
  if (frames.length === 0) return null;
  return frames.length === 1 ? frames[0] : Buffer.concat(frames);
}
