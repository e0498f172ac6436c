import type { Context } from 'koa';
import { commit } from '../../commands/commit';
import { createSessionBodySchema, decideCreateSession, type CreateSessionBody } from '../../commands/create-session';
import { decideDeleteSession } from '../../commands/delete-session';
import { decideUpdateSession, updateSessionBodySchema, type UpdateSessionBody } from '../../commands/update-session';
import { ApiError } from '../../errors';
import { newSessionId } from '../../ids';
import { readOnlySessionFieldNames, sessionSchema } from '../../schemas/session';
import type { SessionState } from '../../../projections/session-state';
import { onceByKey } from '../idempotency';
import { FOLD_PAGE, sessionAt } from '../time-travel';
import { FoldCheckpoints } from '../fold-checkpoints';
import { idempotencyScopes } from '../../../projections/idempotency';
import { sessionQuery, wholeNumber } from '../query';
import { defineRoute } from '../route';
import { apiBase, type Services } from '../services';
import { liveSession, metaOf, readSession, writeSession } from '../session-writes';
import { etagOf, SessionJsonCache, toSession } from '../session-view';
import { dataOf, deletedSchema, pageOf } from '../../schemas/responses';
import { idempotencyKeyHeader, ifMatchHeader, pageParameters, sessionEtag } from '../parameters';
import { SORT_FIELDS } from '../../../projections/sessions';
import { sendJson } from '../json';
import { examples } from '../examples';
import { idempotencyErrors, mergeErrorDocs, sessionNotFound, sessionWriteErrors } from '../error-docs';
import { setTextBody } from '../response-body';

const createBodyRules = { readOnlyFields: readOnlySessionFieldNames };
/** PATCH may choose the preferred variant, which the server otherwise manages. */
const updateBodyRules = { readOnlyFields: new Set([...readOnlySessionFieldNames].filter((field) => field !== 'preferredPreviewId')) };
/** What a client that GETs, edits and PATCHes the whole object back echoes: every server-managed field, `preferredPreviewId` (null without previews) too. */
const echoedSessionFields = readOnlySessionFieldNames;

export function sessionRoutes(services: Services) {
  const sessionJson = new SessionJsonCache();
  const pastStates = new FoldCheckpoints(FOLD_PAGE);
  const respondCreated = (ctx: Context, session: SessionState) => {
    ctx.status = 201;
    ctx.set('Location', `/api/v1/sessions/${session.id}`);
    ctx.set('ETag', etagOf(session.version));
    sendJson(ctx, { data: toSession(session, apiBase(services)) });
  };

  const create = (ctx: Context, body: CreateSessionBody) =>
    onceByKey(
      services,
      ctx,
      idempotencyScopes.SessionCreated(),
      body,
      async (idempotency) => {
        const sessionId = newSessionId();
        await commit(services, sessionId, 0, decideCreateSession({ sessionId, body }), metaOf(services, ctx, idempotency));
        respondCreated(ctx, services.sessions.get(sessionId)!);
      },
      async (first) => respondCreated(ctx, (await sessionAt(services.store, first.streamId, first.position))!),
    );

  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/sessions',
      mode: 'read-only',
      operationId: 'listSessions',
      tag: 'sessions',
      summary: 'List and search sessions',
      query: {
        q: { description: 'Every white-space separated term (at most 32) must occur in the title, client, notes or tags (case- and accent-insensitive).', schema: { type: 'string' } },
        kind: { description: 'Exact kind, case-insensitive. `daw` is its alias: give either; given both, they must agree (case-insensitively), else 400 `invalid_query`.', schema: { type: 'string' } },
        status: {
          description: 'Beyond SessionDock\'s docs: only sessions with this status (exact, in any spelling a write accepts: `In Progress` is `in-progress`).',
          schema: { type: 'string' },
        },
        daw: { description: 'Alias of `kind`: given both, they must agree (case-insensitively), else 400 `invalid_query`.', schema: { type: 'string' } },
        tags: {
          description: 'Repeated (`tags=a&tags=b`) and/or comma-separated (`tags=a,b`): a session must carry all of them (case-insensitive). A tag never contains a comma.',
          schema: { type: 'array', items: { type: 'string' } },
        },
        recent: {
          description: 'true: only sessions opened in the last 30 days (configurable); false or absent: no filter. `true`/`false`, `1`/`0` and `yes`/`no` in any case are read.',
          schema: { type: 'boolean' },
        },
        sort: { description: 'title, kind, status (A-Z) or lastOpened, createdAt, updatedAt (newest first).', schema: { type: 'string', enum: SORT_FIELDS } },
        order: { description: 'asc or desc: reverses the sort.', schema: { type: 'string', enum: ['asc', 'desc'] } },
        ...pageParameters,
      },
      responses: { 200: { description: 'A page of sessions', schema: pageOf(sessionSchema), example: examples.sessionPage } },
      async handle(ctx) {
        const query = sessionQuery(ctx, services.now(), services.recentDays);
        if (query.terms.length > 0) await services.sessions.searchReady();
        const page = services.sessions.list(query);
        const base = apiBase(services);
        // The same bytes as serialising { data, meta }, from each session's cached text.
        const data = page.items.map((state) => sessionJson.of(state, base)).join(',');
        ctx.type = 'application/json';
        setTextBody(ctx, `{"data":[${data}],"meta":${JSON.stringify({ total: page.total, limit: query.limit, offset: query.offset })}}`);
      },
    }),

    defineRoute<CreateSessionBody>({
      method: 'POST',
      path: '/api/v1/sessions',
      mode: 'full-automation',
      operationId: 'createSession',
      tag: 'sessions',
      summary: 'Create a session',
      headers: idempotencyKeyHeader,
      responses: {
        201: { description: 'The new session', schema: dataOf(sessionSchema), example: examples.newSession, headers: { Location: "The session's URL path.", ...sessionEtag, 'Idempotent-Replayed': 'true on a replayed answer.' } },
      },
      errors: idempotencyErrors,
      body: { schema: createSessionBodySchema, rules: createBodyRules, example: examples.createSessionBody },
      async handle(ctx, body) {
        await create(ctx, body);
      },
    }),

    defineRoute({
      method: 'GET',
      path: '/api/v1/sessions/:id',
      mode: 'read-only',
      operationId: 'getSession',
      tag: 'sessions',
      summary: 'Get a session, now or as it was at a log position (?at=)',
      query: { at: { description: 'A log position: the session as it was once the log reached it.', schema: { type: 'integer', minimum: 0 } } },
      responses: { 200: { description: 'The session', schema: dataOf(sessionSchema), example: examples.session, headers: sessionEtag } },
      errors: mergeErrorDocs(sessionNotFound, { not_found: ['session not found at position {at}'] }),
      async handle(ctx) {
        const at = wholeNumber(ctx, 'at', 0);
        const session = at === undefined ? readSession(services, ctx) : await sessionAt(services.store, ctx.params.id, at, { current: services.sessions.get(ctx.params.id), checkpoints: pastStates });
        if (!session) throw new ApiError('not_found', `session not found at position ${at}`);
        ctx.set('ETag', etagOf(session.version));
        sendJson(ctx, { data: toSession(session, apiBase(services)) });
      },
    }),

    defineRoute<UpdateSessionBody>({
      method: 'PATCH',
      path: '/api/v1/sessions/:id',
      mode: 'full-automation',
      operationId: 'patchSession',
      tag: 'sessions',
      summary: 'Update some fields of a session',
      headers: ifMatchHeader,
      responses: { 200: { description: 'The session after the change', schema: dataOf(sessionSchema), example: examples.session, headers: sessionEtag } },
      errors: sessionWriteErrors,
      body: {
        schema: updateSessionBodySchema,
        rules: updateBodyRules,
        example: examples.patchSessionBody,
        echoes: { fields: echoedSessionFields, current: (ctx) => toSession(liveSession(services, ctx), apiBase(services)) },
      },
      async handle(ctx, body) {
        const session = await writeSession(services, ctx, (state) => decideUpdateSession(state, body));
        sendJson(ctx, { data: toSession(session!, apiBase(services)) });
      },
    }),

    defineRoute({
      method: 'DELETE',
      path: '/api/v1/sessions/:id',
      mode: 'full-automation',
      operationId: 'deleteSession',
      tag: 'sessions',
      summary: 'Delete a session (its history stays in the log)',
      headers: ifMatchHeader,
      responses: { 200: { description: 'Deleted', schema: dataOf(deletedSchema), example: examples.deleted } },
      errors: sessionWriteErrors,
      async handle(ctx) {
        await writeSession(services, ctx, decideDeleteSession);
        sendJson(ctx, { data: { deleted: true, id: ctx.params.id } });
      },
    }),
  ];
}
