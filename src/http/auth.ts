import type { Context } from 'koa';
import { ApiError } from '../errors';
import type { TokenCheck } from '../token';

const BEARER = /^Bearer ([\x21-\x7e]+)$/i;

/** Every /api/v1 request needs the bearer token; the request's actor is the token's fingerprint. */
export function bearerAuth(tokens: TokenCheck) {
  return async (ctx: Context, next: () => Promise<void>) => {
    const match = BEARER.exec(ctx.get('Authorization'));
    if (!match || !tokens.matches(match[1])) throw new ApiError('unauthorized');
    ctx.state.actor = tokens.fingerprint();
    await next();
  };
}
