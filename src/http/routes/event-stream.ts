import { once } from 'node:events';
import type { Context } from 'koa';
import type { Subscription } from 'rxjs';
import { upcast } from '../../../events/catalogue';
import type { StoredEvent } from '../../../events/envelope';
import { ApiError } from '../../errors';
import { eventFilter } from '../event-filter';
import { wholeNumber } from '../query';
import { defineRoute } from '../route';
import type { Services } from '../services';
import { eventFilterParameters } from '../parameters';

export interface StreamSettings {
  heartbeatMs: number;
  /** A client whose unsent events pass this many bytes is dropped: it never makes the server grow. */
  maxBufferedBytes: number;
}

const frame = (event: StoredEvent) => `id: ${event.position}\nevent: ${event.type}\ndata: ${JSON.stringify(upcast(event))}\n\n`;

const DROPPED = `event: error\ndata: ${JSON.stringify({
  error: { status: 503, code: 'overloaded', message: 'The client did not keep up with the stream: reconnect with Last-Event-ID.' },
})}\n\n`;

/** Where a client resumes: Last-Event-ID, else ?after=, else from now on. */
function startAfter(ctx: Context, head: number): number {
  const lastEventId = ctx.get('Last-Event-ID').trim();
  if (lastEventId !== '') {
    if (!/^\d{1,15}$/.test(lastEventId)) throw new ApiError('invalid_request', 'Last-Event-ID must be an event position.', [{ field: 'Last-Event-ID', message: 'must be an event position' }]);
    return Number(lastEventId);
  }
  return wholeNumber(ctx, 'after', 0) ?? head;
}

/**
 * GET /events/stream: Server-Sent Events, `id:` the position, `event:` the type. The catch-up is
 * read from the log at the pace the client reads it; live events are written as they commit,
 * and a client that lets them pile up past the bound gets a final error event and is closed.
 */
export function eventStreamRoutes(services: Services, settings: StreamSettings) {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/events/stream',
      mode: 'read-only',
      summary: 'Committed events as they land (Server-Sent Events), resumable with Last-Event-ID',
      query: { ...eventFilterParameters, after: { description: 'Resume after this log position.', schema: { type: 'integer', minimum: 0 } } },
      headers: { 'Last-Event-ID': { description: 'Resume after this log position (wins over ?after=).', schema: { type: 'string' } } },
      errors: ['invalid_request'],
      responses: {
        200: {
          description: 'Server-Sent Events: `id:` the position, `event:` the type, `data:` the event; SessionFocusRequested notices (no id); `: heartbeat` comments',
          contentType: 'text/event-stream',
        },
      },
      async handle(ctx) {
        const filter = eventFilter(ctx);
        let position = startAfter(ctx, services.store.head().position);
        if (ctx.method === 'HEAD') {
          // The headers a stream would start with, and nothing else: a HEAD never becomes a client.
          ctx.status = 200;
          ctx.type = 'text/event-stream; charset=utf-8';
          ctx.set('Cache-Control', 'no-store');
          return;
        }
        const { req, res } = ctx;
        ctx.status = 200;
        ctx.respond = false;
        res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
        res.write(': connected\n\n');

        let closed = false;
        let live: Subscription | undefined;
        const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), settings.heartbeatMs);
        const close = () => {
          if (closed) return;
          closed = true;
          clearInterval(heartbeat);
          live?.unsubscribe();
          unregister();
          res.end();
        };
        const send = (text: string) => {
          res.write(text);
          if (res.writableLength > settings.maxBufferedBytes) {
            res.write(DROPPED);
            close();
          }
        };
        const unregister = services.streamClients.add({ filter, send, close });
        req.on('close', close);
        res.on('error', close);

        try {
          for await (const event of services.store.readAll(position)) {
            if (closed) return;
            position = event.position;
            if (filter.matches(event) && !res.write(frame(event))) await Promise.race([once(res, 'drain'), once(req, 'close')]);
          }
        } catch {
          // The log closed under the catch-up (shutdown): the client reconnects with Last-Event-ID.
          return close();
        }
        if (closed) return;
        live = services.store.subscribe(position).subscribe({
          next: (event) => {
            if (filter.matches(event)) send(frame(event));
          },
          complete: close,
          error: close,
        });
      },
    }),
  ];
}
