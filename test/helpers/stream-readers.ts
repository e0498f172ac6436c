import { request, type IncomingMessage } from 'node:http';
import { jsonOf } from './http';

/*
 * Live-stream clients for the hardening tests: many at once, so each keeps only what the tests
 * check (the ids in order, heartbeats, the final error event), never the events themselves.
 */

export interface StreamReader {
  status: number;
  headers: IncomingMessage['headers'];
  /** The parsed body of a refusal (not 200). */
  body: any;
  /** Positions of the events received, in order. */
  ids: number[];
  /** The data of the final `event: error` frame, when the server dropped this client. */
  errorEvent: any | null;
  /** Resolves when the server ends or breaks the stream. */
  ended: Promise<void>;
  isEnded(): boolean;
  /** Stops reading: the server's writes pile up (in the kernel, then in its socket). */
  pause(): void;
  resume(): void;
  /** Resolves once `count` events with ids have arrived (rejects after the deadline or when the stream ends first). */
  waitForIds(count: number, deadlineMs?: number): Promise<void>;
  close(): void;
}

/** Opens `/events/stream` (any query) and counts what arrives; `reading: false` leaves it paused from the start. */
export function openStreamReader(url: string, token: string, { reading = true, headers = {} as Record<string, string> } = {}): Promise<StreamReader> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Accept: 'text/event-stream', Authorization: `Bearer ${token}`, ...headers }, agent: false }, (response) => {
      const ids: number[] = [];
      let errorEvent: any = null;
      let tail = '';
      let ended = false;
      let body: any;
      const waiters: Array<() => void> = [];
      const endedPromise = new Promise<void>((done) => {
        const finish = () => {
          ended = true;
          waiters.splice(0).forEach((wake) => wake());
          done();
        };
        response.on('end', finish);
        response.on('close', finish);
        response.on('error', finish);
      });
      response.setEncoding('utf8');
      if (response.statusCode !== 200) {
        let text = '';
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          body = jsonOf(text);
          reader.body = body;
        });
      } else {
        response.on('data', (chunk: string) => {
          tail += chunk;
          const complete = tail.lastIndexOf('\n\n') + 2;
          if (complete < 2) return;
          const blocks = tail.slice(0, complete);
          tail = tail.slice(complete);
          // One pass over the complete frames: the ids, and the final error event if there is one.
          for (const match of blocks.matchAll(/^id: (\d+)$/gm)) ids.push(Number(match[1]));
          const error = blocks.includes('event: error\n') ? /^event: error\ndata: (.*)$/m.exec(blocks) : null;
          if (error) reader.errorEvent = errorEvent = JSON.parse(error[1]);
          waiters.splice(0).forEach((wake) => wake());
        });
        if (!reading) response.pause();
      }
      const reader: StreamReader = {
        status: response.statusCode ?? 0,
        headers: response.headers,
        body,
        ids,
        errorEvent,
        ended: endedPromise,
        isEnded: () => ended,
        pause: () => response.pause(),
        resume: () => response.resume(),
        waitForIds(count, deadlineMs = 20_000) {
          return idsArrived(ids, () => ended, waiters, count, deadlineMs);
        },
        close: () => req.destroy(),
      };
      if (response.statusCode !== 200) endedPromise.then(() => resolve(reader));
      else resolve(reader);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The ids are consecutive from `first`: no gap, no duplicate. */
export function consecutiveFrom(ids: readonly number[], first: number): boolean {
  return ids.every((id, index) => id === first + index);
}

/**
 * Resolves once `ids` holds `count` ids; fails at the deadline, or when the stream ended short.
 * `waiters` are called whenever ids arrive or the stream ends.
 */
export function idsArrived(ids: readonly number[], isEnded: () => boolean, waiters: Array<() => void>, count: number, deadlineMs: number): Promise<void> {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`only ${ids.length} of ${count} events within ${deadlineMs} ms`)), deadlineMs);
    const check = () => {
      if (ids.length >= count) {
        clearTimeout(timer);
        done();
      } else if (isEnded()) {
        clearTimeout(timer);
        fail(new Error(`the stream ended after ${ids.length} of ${count} events`));
      } else waiters.push(check);
    };
    check();
  });
}
