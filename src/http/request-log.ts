import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import { wholeSecondsOf } from '../../projections/timestamps';

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const RECENT = 20;

export interface RecentRequest {
  method: string;
  path: string;
  statusCode: number;
  at: string;
}

/** Names every request (X-Request-Id) and keeps the counters /health and shutdown report. */
export class RequestLog {
  private count = 0;
  private inFlight = 0;
  private readonly recent: Array<Omit<RecentRequest, 'at'> & { at: number }> = [];

  requestCount(): number {
    return this.count;
  }

  /** Requests whose headers have arrived and whose response has not yet been sent. */
  requestsInFlight(): number {
    return this.inFlight;
  }

  recentRequests(): RecentRequest[] {
    return this.recent.map(({ at, ...request }) => ({ ...request, at: wholeSecondsOf(new Date(at)) }));
  }

  middleware() {
    return async (ctx: Context, next: () => Promise<void>) => {
      const sent = ctx.get('X-Request-Id');
      const requestId = CLIENT_REQUEST_ID.test(sent) ? sent : randomUUID();
      ctx.state.requestId = requestId;
      ctx.set('X-Request-Id', requestId);
      this.inFlight += 1;
      try {
        await next();
      } finally {
        this.inFlight -= 1;
        this.count += 1;
        this.recent.push({ method: ctx.method, path: ctx.path, statusCode: ctx.status, at: Date.now() });
        if (this.recent.length > RECENT) this.recent.shift();
      }
    };
  }
}
