import type { Context } from 'koa';
import { ApiError } from '../errors';

const LOOPBACK_HOST = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?$/i;

/** The server's own origins: http://<a loopback name>:<its port>, in lower case. */
export function isOwnOrigin(origin: string, port: number): boolean {
  const match = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(?::(\d{1,5}))?$/.exec(origin);
  return match !== null && Number(match[2] ?? 80) === port;
}

export interface GuardOptions {
  /** The port the server answers on: its own origins are http://<loopback name>:<port>. */
  port: () => number;
  allowedOrigins: readonly string[];
  /** An extra Host name accepted when the operator listens on a network address. */
  extraHost?: string;
}

/**
 * Defence in depth for a loopback API that browsers can reach: a Host that is not a loopback
 * name is a DNS-rebinding attempt; an Origin that is neither ours nor allowed is a cross-site call.
 * An allowed origin's CORS preflight is answered here.
 */
export function guards({ port, allowedOrigins, extraHost }: GuardOptions) {
  const allowed = new Set(allowedOrigins.map((origin) => origin.toLowerCase()));
  const isAllowedHost = (host: string) =>
    LOOPBACK_HOST.test(host) || (extraHost !== undefined && host.toLowerCase().replace(/:\d+$/, '') === extraHost.toLowerCase());

  return (ctx: Context): 'answered' | void => {
    if (!isAllowedHost(ctx.get('Host'))) throw new ApiError('forbidden_host');
    const origin = ctx.get('Origin').toLowerCase();
    if (origin && !isOwnOrigin(origin, port())) {
      if (!allowed.has(origin)) throw new ApiError('forbidden_origin');
      ctx.set('Access-Control-Allow-Origin', ctx.get('Origin'));
      ctx.vary('Origin');
      if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method')) {
        ctx.set('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE');
        ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, If-Match, Idempotency-Key, X-Request-Id, Last-Event-ID');
        ctx.set('Access-Control-Max-Age', '600');
        ctx.status = 204;
        return 'answered';
      }
      ctx.set('Access-Control-Expose-Headers', 'ETag, Location, X-Request-Id, Idempotent-Replayed, Retry-After');
    }
  };
}
