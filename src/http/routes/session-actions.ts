import type { Context } from 'koa';
import { decideOpenSession } from '../../commands/open-session';
import { assertPrecondition } from '../../commands/session-command';
import { ApiError } from '../../errors';
import { launch, launchAndWatch, resolveOpener } from '../../opener';
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

/** How long a focus waits for the opener to fail before it counts the web app as started. */
export const FOCUS_LAUNCH_SETTLE_MS = 1500;
/** Web-app launches running or waiting at once; past it focus answers 503 overloaded rather than queue without end. */
export const MAX_WAITING_LAUNCHES = 3;
const LAUNCHES_WAITING = 'Web-app launches are waiting: try again shortly.';

/** The desktop actions (contract §8): open a session's project, and ask UI clients to focus it. */
export function sessionActionRoutes(services: Services) {
  /** One web-app launch at a time: a script calling focus in a loop starts one browser after another, not all at once. */
  let launching: Promise<unknown> = Promise.resolve();
  let waitingLaunches = 0;
  const startWebApp = (opener: string, sessionId: string) => {
    if (waitingLaunches >= MAX_WAITING_LAUNCHES) throw new ApiError('overloaded', LAUNCHES_WAITING, undefined, { 'Retry-After': '2' });
    waitingLaunches += 1;
    const launched = launching
      .then(() => launchAndWatch(opener, services.signIn.loginLink(services.origin(), sessionId), FOCUS_LAUNCH_SETTLE_MS))
      .finally(() => (waitingLaunches -= 1));
    launching = launched.catch(() => undefined);
    return launched;
  };

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
      summary: "Focus a session's card: ask the live-stream clients, or start the web app at the session when none is connected",
      responses: { 200: { description: 'A client was asked, or the web app was started at the session', schema: dataOf(actionResultSchema), example: examples.focused } },
      errors: mergeErrorDocs(sessionNotFound, { focus_unavailable: [], focus_failed: [], overloaded: [LAUNCHES_WAITING] }),
      async handle(ctx) {
        const { id } = readSession(services, ctx);
        if (requestFocus(ctx, id) === 0) {
          const opener = resolveOpener(services.opener, process.platform, process.env);
          if (opener === null) throw new ApiError('focus_unavailable');
          await startWebApp(opener, id).catch((error: Error) => {
            services.logger.log('warn', 'the web app could not be started for focus', { requestId: ctx.state.requestId, sessionId: id, error: error.message });
            throw new ApiError('focus_failed');
          });
        }
        sendJson(ctx, { data: { id, opened: false, focused: true } });
      },
    }),
  ];
}
