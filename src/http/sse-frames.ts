import { upcast } from '../../events/catalogue';
import type { StoredEvent } from '../../events/envelope';

/*
 * The bytes of the live stream (Server-Sent Events). Frames are Buffers, built once and shared:
 * a socket queues a Buffer by reference, so one frame written to many clients is held once.
 */

/** One logged event: `id:` its position, `event:` its type, `data:` the event at its current schema. */
export const eventFrame = (event: StoredEvent): Buffer =>
  Buffer.from(`id: ${event.position}\nevent: ${event.type}\ndata: ${JSON.stringify(upcast(event))}\n\n`);

/** A transient notice: no `id:`, so a client's Last-Event-ID stays on the log. */
export const noticeFrame = (type: string, data: object): Buffer => Buffer.from(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);

/** How long a client waits before it reconnects, in ms: sent once, first, so every client retries alike. */
export const RECONNECT_MS = 3000;

export const CONNECTED = Buffer.from(`retry: ${RECONNECT_MS}\n: connected\n\n`);

export const HEARTBEAT = Buffer.from(': heartbeat\n\n');

/** The last frame of a client that did not keep up: it reconnects with Last-Event-ID. */
export const DROPPED = Buffer.from(
  `event: error\ndata: ${JSON.stringify({
    error: { status: 503, code: 'overloaded', message: 'The client did not keep up with the stream: reconnect with Last-Event-ID.' },
  })}\n\n`,
);
