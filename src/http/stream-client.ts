import type { ServerResponse } from 'node:http';
import type { EventFilter } from './event-filter';
import { DROPPED, HEARTBEAT } from './sse-frames';

export interface StreamSettings {
  heartbeatMs: number;
  /** A client whose unsent events pass this many bytes is dropped: it never makes the server grow. */
  maxBufferedBytes: number;
}

/** What a client tells the set it belongs to. */
export interface StreamClientOwner {
  /** It stopped taking events; `dropped`: it ended with the final error event, which may still be on its way. */
  ended(client: StreamClient, dropped: boolean): void;
  /** Its connection is gone: nothing of it is held any more. */
  gone(client: StreamClient): void;
}

/**
 * How long a dropped client has to read up to its final error event before its connection is
 * destroyed with whatever it had not read. Meanwhile it is sent nothing more, and the cap on all
 * clients' unsent bytes closes it sooner when they need the room.
 */
export const DROPPED_CLIENT_GRACE_MS = 30_000;

/** One live-stream connection: where it is in the log, whether it has caught up, and its socket. */
export class StreamClient {
  /** The last log position it was sent or passed over. */
  position: number;
  /** Caught up: it is sent events as they commit. */
  live = false;
  private ended = false;
  private readonly heartbeat: NodeJS.Timeout;
  private grace: NodeJS.Timeout | undefined;

  constructor(
    private readonly res: ServerResponse,
    readonly filter: EventFilter,
    after: number,
    private readonly settings: StreamSettings,
    private readonly owner: StreamClientOwner,
  ) {
    this.position = after;
    this.heartbeat = setInterval(() => this.send(HEARTBEAT), settings.heartbeatMs);
    res.once('close', () => {
      this.finish(false);
      clearTimeout(this.grace);
      owner.gone(this);
    });
    res.on('error', () => this.close());
  }

  get open(): boolean {
    return !this.ended;
  }

  /** Bytes written to it that its connection has not sent yet. */
  get buffered(): number {
    return this.res.destroyed ? 0 : this.res.writableLength;
  }

  /**
   * Writes frames; false when the connection asks to wait for `drained`. A live client past its
   * bound is dropped; one catching up holds at most the page it was handed (it waits for drain
   * before the next), which may be larger than the bound when events are large.
   */
  send(frames: Buffer): boolean {
    if (this.ended) return true;
    const flowing = this.res.write(frames);
    if (this.live && this.res.writableLength > this.settings.maxBufferedBytes) this.drop();
    return flowing;
  }

  /** Resolves when the connection has sent what it holds, or has closed; leaves no listener behind. */
  drained(): Promise<void> {
    if (this.ended || this.res.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  /** Ends it with the final error event: it reconnects with Last-Event-ID. */
  drop(): void {
    if (this.ended) return;
    this.res.write(DROPPED);
    this.finish(true);
    if (!this.res.destroyed) {
      this.grace = setTimeout(() => this.destroy(), DROPPED_CLIENT_GRACE_MS);
      this.grace.unref();
    }
  }

  close(): void {
    this.finish(false);
  }

  /** Closes the connection now, unsent bytes and all. */
  destroy(): void {
    this.finish(false);
    this.res.destroy();
  }

  private finish(dropped: boolean): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    this.res.end();
    this.owner.ended(this, dropped);
  }
}
