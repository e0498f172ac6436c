import type { Context } from 'koa';
import { createSessionBodySchema, decideCreateSession, type CreateSessionBody } from '../../commands/create-session';
import { commit } from '../../commands/commit';
import { ApiError } from '../../errors';
import { newSessionId } from '../../ids';
import { readOnlySessionFieldNames } from '../../schemas/session';
import { pageQuery } from '../query';
import { defineRoute } from '../route';
import { apiBase, type Services } from '../services';
import { etagOf, toSession } from '../session-view';
import type { EventMeta } from '../../../events/envelope';

export function sessionRoutes(services: Services) {
  const metaOf = (ctx: Context): EventMeta => ({ at: services.now().toISOString(), requestId: ctx.state.requestId, actor: ctx.state.actor });

  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/sessions',
      mode: 'read-only',
      summary: 'List sessions',
      async handle(ctx) {
        const { limit, offset } = pageQuery(ctx);
        const page = services.sessions.list(limit, offset);
        const base = apiBase(services);
        ctx.body = { data: page.items.map((state) => toSession(state, base)), meta: { total: page.total, limit, offset } };
      },
    }),

    defineRoute<CreateSessionBody>({
      method: 'POST',
      path: '/api/v1/sessions',
      mode: 'full-automation',
      summary: 'Create a session',
      body: { schema: createSessionBodySchema, rules: { readOnlyFields: readOnlySessionFieldNames } },
      async handle(ctx, body) {
        const sessionId = newSessionId();
        await commit(services, sessionId, 0, decideCreateSession({ sessionId, body }), metaOf(ctx));
        const session = toSession(services.sessions.get(sessionId)!, apiBase(services));
        ctx.status = 201;
        ctx.set('Location', `/api/v1/sessions/${sessionId}`);
        ctx.set('ETag', etagOf(session.version));
        ctx.body = { data: session };
      },
    }),

    defineRoute({
      method: 'GET',
      path: '/api/v1/sessions/:id',
      mode: 'read-only',
      summary: 'Get a session',
      async handle(ctx) {
        const state = services.sessions.get(ctx.params.id);
        if (!state) throw new ApiError('not_found', 'session not found');
        ctx.set('ETag', etagOf(state.version));
        ctx.body = { data: toSession(state, apiBase(services)) };
      },
    }),
  ];
}
