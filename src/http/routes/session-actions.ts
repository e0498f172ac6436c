import type { Context } from 'koa';
import { decideOpenSession } from '../../commands/open-session';
import { assertPrecondition } from '../../commands/session-command';
import { ApiError } from '../../errors';
import { launch, resolveOpener } from '../../opener';
import { usableProject } from '../../files/usable-path';
import { ifMatch } from '../preconditions';
import { defineRoute } from '../route';
import type { Services } from '../services';
import { readSession, writeSession } from '../session-writes';
import { actionResultSchema, dataOf } from '../../schemas/responses';
import { ifMatchHeader, sessionEtag } from '../parameters';
import { sendJson } from '../json';
import { examples } from '../examples';
import { mergeErrorDocs, sessionNotFound, sessionWriteErrors } from '../error-docs';

/** The desktop actions (contract §8): open a session's project, and ask UI clients to focus it. */
export function sessionActionRoutes(services: Services) {
  /** A notice to the live-stream clients, never written to the log: how many received it. */
  const requestFocus = (ctx: Context, sessionId: string) =>
    services.streamClients.notify('SessionFocusRequested', sessionId, { sessionId, at: services.now().toISOString(), requestId: ctx.state.requestId });

  return [
    defineRoute({
      method: 'POST',
      path: '/api/v1/sessions/:id/open',
      mode: 'full-automation',
      operationId: 'openSession',
      tag: 'automation',
      summary: "Open a session's project with the opener, record the opening and ask UI clients to focus it",
      headers: ifMatchHeader,
      responses: { 200: { description: 'Opened', schema: dataOf(actionResultSchema), example: examples.opened, headers: sessionEtag } },
      errors: mergeErrorDocs(sessionWriteErrors, { open_failed: [], open_unavailable: [] }),
      async handle(ctx) {
        const { id, projectPath, version } = readSession(services, ctx);
        // Checked before launching: a stale If-Match must not open the project and then fail.
        assertPrecondition(ifMatch(ctx), version);
        const project = projectPath === null ? { usable: false as const, reason: 'the session has no projectPath' } : await usableProject(projectPath);
        if (!project.usable) {
          services.logger.log('info', 'project path refused', { requestId: ctx.state.requestId, sessionId: id, reason: project.reason });
          throw new ApiError('open_failed');
        }
        // Looked up on each call: an opener installed or fixed after the start counts at once.
        const opener = resolveOpener(services.opener, process.platform, process.env);
        if (opener === null) throw new ApiError('open_unavailable');
        // The path that was checked is the one launched: its real spelling.
        await launch(opener, project.realPath).catch(() => {
          throw new ApiError('open_unavailable');
        });
        await writeSession(services, ctx, decideOpenSession);
        sendJson(ctx, { data: { id, opened: true, focused: requestFocus(ctx, id) > 0 } });
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/sessions/:id/focus',
      mode: 'full-automation',
      operationId: 'focusSession',
      tag: 'automation',
      summary: "Ask the live-stream clients to focus a session's card",
      responses: { 200: { description: 'At least one client was asked', schema: dataOf(actionResultSchema), example: examples.focused } },
      errors: mergeErrorDocs(sessionNotFound, { focus_unavailable: [] }),
      async handle(ctx) {
        const { id } = readSession(services, ctx);
        if (requestFocus(ctx, id) === 0) throw new ApiError('focus_unavailable');
        sendJson(ctx, { data: { id, opened: false, focused: true } });
      },
    }),
  ];
}
