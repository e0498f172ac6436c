import type { Context } from 'koa';
import { ApiError } from '../../errors';
import { eventFilter } from '../event-filter';
import { wholeNumber } from '../query';
import { defineRoute } from '../route';
import type { Services } from '../services';
import { streamFilterParameters } from '../parameters';
import { CONNECTED } from '../sse-frames';
import type { StreamSettings } from '../stream-client';
import { examples } from '../examples';

export type { StreamSettings };

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
 * read from shared pages at the pace the client reads it; live events are written as they commit,
 * and a client that lets them pile up past the bound gets a final error event and is closed
 * (src/http/stream-clients.ts). Past the cap on clients: 503 overloaded.
 */
export function eventStreamRoutes(services: Services, settings: StreamSettings) {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/events/stream',
      mode: 'read-only',
      operationId: 'streamEvents',
      tag: 'events',
      summary: 'Committed events as they land (Server-Sent Events), resumable with Last-Event-ID',
      query: { ...streamFilterParameters, after: { description: 'Resume after this log position.', schema: { type: 'integer', minimum: 0 } } },
      headers: { 'Last-Event-ID': { description: 'Resume after this log position (wins over ?after=).', schema: { type: 'string', pattern: '^[0-9]{1,15}$' } } },
      errors: {
        invalid_request: ['Last-Event-ID must be an event position.'],
        overloaded: ['{clients} live-stream clients are connected, the most this server takes: try again later.', 'The server is shutting down.'],
      },
      responses: {
        200: {
          description:
            'Server-Sent Events. First a `retry:` field (how long to wait before reconnecting, in ms); then each event as `id:` its position, `event:` its type ' +
            'and `data:` the event (the Event schema); SessionFocusRequested notices (no `id:`); `: heartbeat` comments. Events are named: listen with ' +
            "`addEventListener('SessionCreated', ...)` per type, not `onmessage`.",
          contentType: 'text/event-stream',
          example: examples.eventStream,
        },
      },
      async handle(ctx) {
        const filter = eventFilter(ctx);
        const position = startAfter(ctx, services.store.head().position);
        if (ctx.method === 'HEAD') {
          // The headers a stream would start with, and nothing else: a HEAD never becomes a client.
          ctx.status = 200;
          ctx.type = 'text/event-stream; charset=utf-8';
          ctx.set('Cache-Control', 'no-store');
          return;
        }
        const client = services.streamClients.connect(ctx.res, filter, position, settings);
        ctx.status = 200;
        ctx.respond = false;
        ctx.res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
        client.send(CONNECTED);
        void services.streamClients.start(client);
      },
    }),
  ];
}
