import type { NewEvent } from '../../../events/envelope';
import type { SessionState } from '../../../projections/session-state';
import { decideReplaceNotes, replaceNotesBodySchema } from '../../commands/replace-notes';
import { decideReplaceTags, replaceTagsBodySchema } from '../../commands/replace-tags';
import { writableSessionFields } from '../../schemas/session';
import { defineRoute } from '../route';
import type { Services } from '../services';
import { liveSession, readSession, writeSession } from '../session-writes';
import { dataOf } from '../../schemas/responses';
import { ifMatchHeader, sessionEtag } from '../parameters';
import { sendJson } from '../json';
import { examples } from '../examples';
import { sessionNotFound, sessionWriteErrors } from '../error-docs';

type Part = 'notes' | 'tags';

/** A body may echo the `id` its GET returned (a read-modify-write client): ignored when it is the session's. */
const partRules = { readOnlyFields: new Set(['id']) };

/** The docs' names of the operations on each part. */
const operationIds: Record<Part, Record<'GET' | 'PUT' | 'PATCH', string>> = {
  notes: { GET: 'getSessionNotes', PUT: 'replaceSessionNotes', PATCH: 'patchSessionNotes' },
  tags: { GET: 'getSessionTags', PUT: 'replaceSessionTags', PATCH: 'patchSessionTags' },
};

/** `{id, notes}` or `{id, tags}`. */
const partSchema = (part: Part) => ({
  type: 'object',
  additionalProperties: false,
  required: ['id', part],
  properties: { id: { type: 'string' }, [part]: writableSessionFields[part] },
});

/**
 * A session's notes and tags as resources of their own: GET reads `{id, <part>}`, PUT and PATCH
 * both replace it and answer the same shape.
 */
function partRoutes<Body>(services: Services, part: Part, schema: object, decide: (state: SessionState, body: Body) => NewEvent[]) {
  const path = `/api/v1/sessions/:id/${part}`;
  const view = (session: SessionState) => ({ data: { id: session.id, [part]: session[part] } });
  const replace = (method: 'PUT' | 'PATCH') =>
    defineRoute<Body>({
      method,
      path,
      mode: 'full-automation',
      operationId: operationIds[part][method],
      tag: 'metadata',
      summary: `Replace a session's ${part}`,
      headers: ifMatchHeader,
      responses: { 200: { description: `The session's ${part}`, schema: dataOf(partSchema(part)), example: examples[part], headers: sessionEtag } },
      errors: sessionWriteErrors,
      body: { schema, rules: partRules, example: examples[`${part}Body`], echoes: { fields: partRules.readOnlyFields, current: (ctx) => view(liveSession(services, ctx)).data } },
      async handle(ctx, body) {
        sendJson(ctx, view((await writeSession(services, ctx, (state) => decide(state, body)))!));
      },
    });
  return [
    defineRoute({
      method: 'GET',
      path,
      mode: 'read-only',
      operationId: operationIds[part].GET,
      tag: 'metadata',
      summary: `A session's ${part}`,
      responses: { 200: { description: `The session's ${part}`, schema: dataOf(partSchema(part)), example: examples[part], headers: sessionEtag } },
      errors: sessionNotFound,
      async handle(ctx) {
        sendJson(ctx, view(readSession(services, ctx)));
      },
    }),
    replace('PUT'),
    replace('PATCH'),
  ];
}

export const sessionPartRoutes = (services: Services) => [
  ...partRoutes(services, 'notes', replaceNotesBodySchema, decideReplaceNotes),
  ...partRoutes(services, 'tags', replaceTagsBodySchema, decideReplaceTags),
];
