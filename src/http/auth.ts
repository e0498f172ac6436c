import type { Context } from 'koa';
import { ApiError } from '../errors';
import type { TokenCheck } from '../token';

const BEARER = /^Bearer ([\x21-\x7e]+)$/i;

/** How a request proved it may use the API: recorded in `ctx.state.authenticatedBy`. */
export type Authentication = 'bearer';

/**
 * Every request under `prefix` needs the bearer token, checked before routing so that an unknown
 * path tells nothing to a caller without it. The request's actor is the token's fingerprint.
 * What the request was authenticated by is recorded: some leniency (a JSON body without a JSON
 * Content-Type) is safe only for a credential a cross-site page cannot send.
 */
export function bearerAuth(tokens: TokenCheck, prefix: string) {
  return (ctx: Context): void => {
    // Compared without case: no spelling of the prefix may reach a route without the token.
    const path = ctx.path.toLowerCase();
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return;
    const match = BEARER.exec(ctx.get('Authorization'));
    if (!match || !tokens.matches(match[1])) throw new ApiError('unauthorized');
    ctx.state.actor = tokens.fingerprint();
    ctx.state.authenticatedBy = 'bearer' satisfies Authentication;
  };
}
