import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import stringify from 'safe-stable-stringify';
import { ApiError } from '../errors';

const KEY = /^[\x21-\x7e]{1,255}$/;

/** The request's Idempotency-Key, if it sent one: 1-255 visible ASCII characters. */
export function idempotencyKeyOf(ctx: Context): string | undefined {
  const key = ctx.get('Idempotency-Key');
  if (key === '') return undefined;
  if (!KEY.test(key)) {
    const message = 'must be 1-255 visible ASCII characters';
    throw new ApiError('invalid_request', `Idempotency-Key ${message}.`, [{ field: 'Idempotency-Key', message }]);
  }
  return key;
}

/** Bodies that are JSON-equal (whatever their key order) hash the same. */
export const requestHash = (body: unknown) => createHash('sha256').update(stringify(body) ?? '').digest('hex');

/**
 * Runs the requests that carry the same key on the same route one after the other, so a retry
 * sent while the first attempt is still being written waits and is then replayed, never written twice.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
