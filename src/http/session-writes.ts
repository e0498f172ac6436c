import type { Context } from 'koa';
import type { EventMeta, NewEvent } from '../../events/envelope';
import type { SessionState } from '../../projections/session-state';
import { runSessionCommand } from '../commands/session-command';
import { ApiError } from '../errors';
import { ifMatch } from './preconditions';
import type { Services } from './services';
import { etagOf } from './session-view';

/** The meta of the events a request appends: when, which request, whose token. */
export const metaOf = (services: Services, ctx: Context, extra: Partial<EventMeta> = {}): EventMeta => ({
  at: services.now().toISOString(),
  requestId: ctx.state.requestId,
  actor: ctx.state.actor,
  ...extra,
});

/**
 * Runs a command on the session named in the path, honouring If-Match, and sets the ETag of the
 * version it leaves. Resolves to that session (undefined once deleted).
 */
export async function writeSession(
  services: Services,
  ctx: Context,
  decide: (state: SessionState) => NewEvent[],
  extraMeta: Partial<EventMeta> = {},
): Promise<SessionState | undefined> {
  const session = await runSessionCommand(services, { sessionId: ctx.params.id, precondition: ifMatch(ctx), decide, meta: metaOf(services, ctx, extraMeta) });
  if (session) ctx.set('ETag', etagOf(session.version));
  return session;
}

/** The live session named in the path, or 404. */
export function liveSession(services: Services, ctx: Context): SessionState {
  const session = services.sessions.get(ctx.params.id);
  if (!session) throw new ApiError('not_found', 'session not found');
  return session;
}

/** The live session named in the path, with its ETag set, or 404. */
export function readSession(services: Services, ctx: Context): SessionState {
  const session = liveSession(services, ctx);
  ctx.set('ETag', etagOf(session.version));
  return session;
}
