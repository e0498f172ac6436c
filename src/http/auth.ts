import type { Context } from 'koa';
import { ApiError } from '../errors';
import type { TokenCheck } from '../token';
import type { SignIn } from './sign-in';

const BEARER = /^Bearer ([\x21-\x7e]+)$/i;
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const CSRF_HEADER = 'X-SessionDock-CSRF';

/** How a request to /api/v1 proved itself: the token, or the web app's cookie (contract §11). */
export type AuthenticatedBy = 'bearer' | 'cookie';

export interface AuthOptions {
  tokens: TokenCheck;
  signIn: SignIn;
  prefix: string;
  /** This server's own origin for messages, and whether an Origin (lower case) is one of its own. */
  origin(): string;
  isOwnOrigin(origin: string): boolean;
}

/** How a request proved it may use the API: recorded in `ctx.state.authenticatedBy`. */
export type Authentication = 'bearer';

/**
 * Every request under `prefix` needs the bearer token or, without an Authorization header, the web
 * app's cookie; checked before routing so that an unknown path tells nothing to a caller without
 * either. The actor is the token's fingerprint, marked `+ui` for the cookie. A cookie works only
 * from the app's own origin: a browser sends it with requests other local pages make, so a write
 * made with it also needs the app's Origin and its CSRF header, which no form can send.
 */
export function apiAuth({ tokens, signIn, prefix, origin, isOwnOrigin }: AuthOptions) {
  return (ctx: Context): void => {
    // Compared without case: no spelling of the prefix may reach a route without the token.
    const path = ctx.path.toLowerCase();
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return;
    const authorization = ctx.get('Authorization');
    if (authorization) {
      const match = BEARER.exec(authorization);
      if (!match || !tokens.matches(match[1])) throw new ApiError('unauthorized');
      authenticated(ctx, 'bearer', tokens.fingerprint());
      return;
    }
    if (signIn.credentialOf(ctx.get('Cookie')) === null) throw new ApiError('unauthorized');
    assertFromTheApp(ctx, origin(), isOwnOrigin);
    authenticated(ctx, 'cookie', `${tokens.fingerprint()}+ui`);
  };
}

function authenticated(ctx: Context, by: AuthenticatedBy, actor: string): void {
  ctx.state.authenticatedBy = by;
  ctx.state.actor = actor;
}

function assertFromTheApp(ctx: Context, ownOrigin: string, isOwnOrigin: (origin: string) => boolean): void {
  const origin = ctx.get('Origin').toLowerCase();
  if (origin && !isOwnOrigin(origin)) {
    throw new ApiError('forbidden_origin', `The web app's cookie is accepted only from this server's own origin (${ownOrigin}), not ${origin}.`);
  }
  if (!WRITES.has(ctx.method)) return;
  const missing: string[] = [];
  if (!origin) missing.push(`the Origin header of this server (${ownOrigin})`);
  if (ctx.get(CSRF_HEADER) !== '1') missing.push(`the header ${CSRF_HEADER}: 1`);
  if (missing.length > 0) throw new ApiError('forbidden_origin', `A write made with the web app's cookie needs ${missing.join(' and ')}.`);
}
