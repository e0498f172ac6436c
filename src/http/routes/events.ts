import { upcast } from '../../../events/catalogue';
import type { StoredEvent } from '../../../events/envelope';
import { ApiError } from '../../errors';
import { eventFilter } from '../event-filter';
import { pageQuery, wholeNumber } from '../query';
import { defineRoute } from '../route';
import type { Services } from '../services';
import type { EventStore } from '../../store';
import { eventPageSchema, eventSchema, pageOf } from '../../schemas/responses';
import { eventFilterParameters, pageParameters } from '../parameters';
import { sendJson } from '../json';
import { examples } from '../examples';
import { sessionNotFound } from '../error-docs';

const MAX_EVENTS_PAGE = 1000;
/**
 * Positions one type-filtered page may look through: a type that is rare or absent would otherwise
 * make one request read the whole log. A page that stops here has fewer events than `limit` (maybe
 * none) and `meta.next` where it stopped, so a client that follows `next` still sees every event.
 */
export const MAX_SCANNED_PER_PAGE = 10_000;

/** The audit routes read the log on purpose: they answer with what happened, not what is. */
export function eventRoutes(services: Services) {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/events',
      mode: 'read-only',
      operationId: 'listEvents',
      tag: 'events',
      summary: 'The event log, page by page, in log order',
      query: {
        ...eventFilterParameters,
        after: { description: 'Events after this position; default 0.', schema: { type: 'integer', minimum: 0 } },
        limit: { description: 'Page size, 1-1000; default 100.', schema: { type: 'integer', minimum: 1 } },
      },
      responses: { 200: { description: 'A page of events; meta.next is the `after` of the next page', schema: eventPageSchema, example: examples.eventPage } },
      async handle(ctx) {
        const after = wholeNumber(ctx, 'after', 0) ?? 0;
        const limit = Math.min(wholeNumber(ctx, 'limit', 1) ?? 100, MAX_EVENTS_PAGE);
        const wanted = eventFilter(ctx);
        const events: StoredEvent[] = [];
        // Unfiltered, a page is exactly the next `limit` positions; filtered, it is read in pages until found.
        const pageSize = wanted.types === null ? limit : MAX_EVENTS_PAGE;
        const head = services.store.head().position;
        const scanEnd = wanted.sessionId ? head : Math.min(head, after + MAX_SCANNED_PER_PAGE);
        const source = wanted.sessionId ? streamAfter(services.store, wanted.sessionId, after, pageSize) : services.store.readAll(after, pageSize, wanted.types, scanEnd);
        for await (const event of source) {
          if (!wanted.matches(event)) continue;
          events.push(upcast(event));
          if (events.length === limit) break;
        }
        const next = events.length === limit ? events[events.length - 1].position : scanEnd < head ? scanEnd : null;
        sendJson(ctx, { data: events, meta: { limit, next, head } });
      },
    }),

    defineRoute({
      method: 'GET',
      path: '/api/v1/sessions/:id/history',
      mode: 'read-only',
      operationId: 'getSessionHistory',
      tag: 'events',
      summary: "A session's events, deleted sessions included",
      query: pageParameters,
      responses: { 200: { description: "A page of the session's events", schema: pageOf(eventSchema), example: examples.history } },
      errors: sessionNotFound,
      async handle(ctx) {
        // The stream's versions are its history's indexes: a page is a version range, read alone.
        const total = await services.store.versionAt(ctx.params.id, services.store.head().position);
        if (total === 0) throw new ApiError('not_found', 'session not found');
        const { limit, offset } = pageQuery(ctx);
        const events = offset < total ? await services.store.readStream(ctx.params.id, offset + 1, Math.min(total, offset + limit)) : [];
        sendJson(ctx, { data: events.map(upcast), meta: { total, limit, offset } });
      },
    }),
  ];
}

/**
 * The stream's events after log position `after`, `pageSize` versions per read: the first version
 * after it is found in the stream index, and only the versions from there are read.
 */
async function* streamAfter(store: EventStore, streamId: string, after: number, pageSize: number): AsyncIterable<StoredEvent> {
  const last = await store.versionAt(streamId, store.head().position);
  for (let version = await store.versionAt(streamId, after); version < last; version += pageSize) {
    yield* await store.readStream(streamId, version + 1, Math.min(last, version + pageSize));
  }
}
