import type { Context } from 'koa';
import { commit } from '../../commands/commit';
import { createSessionBodySchema, decideCreateSession, type CreateSessionBody } from '../../commands/create-session';
import { decideDeleteSession } from '../../commands/delete-session';
import { decideUpdateSession, updateSessionBodySchema, type UpdateSessionBody } from '../../commands/update-session';
import { ApiError } from '../../errors';
import { newSessionId } from '../../ids';
import { readOnlySessionFieldNames } from '../../schemas/session';
import { evolveSession, type SessionState } from '../../../projections/session-state';
import { upcast } from '../../../events/catalogue';
import { idempotencyKeyOf, requestHash } from '../idempotency';
import { sessionQuery, wholeNumber } from '../query';
import { defineRoute } from '../route';
import { apiBase, type Services } from '../services';
import { metaOf, readSession, writeSession } from '../session-writes';
import { etagOf, toSession } from '../session-view';

const CREATE_SCOPE = 'POST /api/v1/sessions';
const sessionBodyRules = { readOnlyFields: readOnlySessionFieldNames };

export function sessionRoutes(services: Services) {
  const respondCreated = (ctx: Context, session: SessionState) => {
    ctx.status = 201;
    ctx.set('Location', `/api/v1/sessions/${session.id}`);
    ctx.set('ETag', etagOf(session.version));
    ctx.body = { data: toSession(session, apiBase(services)) };
  };

  const create = async (ctx: Context, body: CreateSessionBody, idempotency: { idempotencyKey: string; requestHash: string } | object = {}) => {
    const sessionId = newSessionId();
    await commit(services, sessionId, 0, decideCreateSession({ sessionId, body }), metaOf(services, ctx, idempotency));
    respondCreated(ctx, services.sessions.get(sessionId)!);
  };

  /** With a key: the first request's answer again for the same body, 422 for another, within 24 h. */
  const createOnce = (ctx: Context, body: CreateSessionBody, key: string) =>
    services.keyedRequests.run(`${CREATE_SCOPE}\u0000${key}`, async () => {
      const hash = requestHash(body);
      const first = services.idempotency.find(CREATE_SCOPE, key, services.now());
      if (!first) return create(ctx, body, { idempotencyKey: key, requestHash: hash });
      if (first.requestHash !== hash) throw new ApiError('idempotency_key_reused');
      ctx.set('Idempotent-Replayed', 'true');
      respondCreated(ctx, first.session);
    });

  /** Time travel: the session folded from its events up to `position` (the log read on purpose). */
  const sessionAt = async (id: string, position: number): Promise<SessionState> => {
    const events = await services.store.readStream(id);
    const session = events.filter((event) => event.position <= position).map(upcast).reduce(evolveSession, undefined);
    if (!session) throw new ApiError('not_found', `session not found at position ${position}`);
    return session;
  };

  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/sessions',
      mode: 'read-only',
      summary: 'List and search sessions',
      async handle(ctx) {
        const query = sessionQuery(ctx, services.now(), services.recentDays);
        const page = services.sessions.list(query);
        const base = apiBase(services);
        ctx.body = { data: page.items.map((state) => toSession(state, base)), meta: { total: page.total, limit: query.limit, offset: query.offset } };
      },
    }),

    defineRoute<CreateSessionBody>({
      method: 'POST',
      path: '/api/v1/sessions',
      mode: 'full-automation',
      summary: 'Create a session',
      body: { schema: createSessionBodySchema, rules: sessionBodyRules },
      async handle(ctx, body) {
        const key = idempotencyKeyOf(ctx);
        await (key === undefined ? create(ctx, body) : createOnce(ctx, body, key));
      },
    }),

    defineRoute({
      method: 'GET',
      path: '/api/v1/sessions/:id',
      mode: 'read-only',
      summary: 'Get a session, now or as it was at a log position (?at=)',
      async handle(ctx) {
        const at = wholeNumber(ctx, 'at', 0);
        const session = at === undefined ? readSession(services, ctx) : await sessionAt(ctx.params.id, at);
        ctx.set('ETag', etagOf(session.version));
        ctx.body = { data: toSession(session, apiBase(services)) };
      },
    }),

    defineRoute<UpdateSessionBody>({
      method: 'PATCH',
      path: '/api/v1/sessions/:id',
      mode: 'full-automation',
      summary: 'Update some fields of a session',
      body: { schema: updateSessionBodySchema, rules: sessionBodyRules },
      async handle(ctx, body) {
        const session = await writeSession(services, ctx, (state) => decideUpdateSession(state, body));
        ctx.body = { data: toSession(session!, apiBase(services)) };
      },
    }),

    defineRoute({
      method: 'DELETE',
      path: '/api/v1/sessions/:id',
      mode: 'full-automation',
      summary: 'Delete a session (its history stays in the log)',
      async handle(ctx) {
        await writeSession(services, ctx, decideDeleteSession);
        ctx.body = { data: { deleted: true, id: ctx.params.id } };
      },
    }),
  ];
}
