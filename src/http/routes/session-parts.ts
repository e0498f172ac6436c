import { decideReplaceNotes, replaceNotesBodySchema, type ReplaceNotesBody } from '../../commands/replace-notes';
import { decideReplaceTags, replaceTagsBodySchema, type ReplaceTagsBody } from '../../commands/replace-tags';
import { defineRoute, type Method } from '../route';
import type { Services } from '../services';
import { readSession, writeSession } from '../session-writes';

/** A session's notes and tags as resources of their own: read them, or replace them (PUT and PATCH alike). */
export function sessionPartRoutes(services: Services) {
  const replaceNotes = (method: Method) =>
    defineRoute<ReplaceNotesBody>({
      method,
      path: '/api/v1/sessions/:id/notes',
      mode: 'full-automation',
      summary: "Replace a session's notes",
      body: { schema: replaceNotesBodySchema },
      async handle(ctx, body) {
        const session = (await writeSession(services, ctx, (state) => decideReplaceNotes(state, body)))!;
        ctx.body = { data: { id: session.id, notes: session.notes } };
      },
    });

  const replaceTags = (method: Method) =>
    defineRoute<ReplaceTagsBody>({
      method,
      path: '/api/v1/sessions/:id/tags',
      mode: 'full-automation',
      summary: "Replace a session's tags",
      body: { schema: replaceTagsBodySchema },
      async handle(ctx, body) {
        const session = (await writeSession(services, ctx, (state) => decideReplaceTags(state, body)))!;
        ctx.body = { data: { id: session.id, tags: session.tags } };
      },
    });

  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/sessions/:id/notes',
      mode: 'read-only',
      summary: "A session's notes",
      async handle(ctx) {
        const session = readSession(services, ctx);
        ctx.body = { data: { id: session.id, notes: session.notes } };
      },
    }),
    replaceNotes('PUT'),
    replaceNotes('PATCH'),
    defineRoute({
      method: 'GET',
      path: '/api/v1/sessions/:id/tags',
      mode: 'read-only',
      summary: "A session's tags",
      async handle(ctx) {
        const session = readSession(services, ctx);
        ctx.body = { data: { id: session.id, tags: session.tags } };
      },
    }),
    replaceTags('PUT'),
    replaceTags('PATCH'),
  ];
}
