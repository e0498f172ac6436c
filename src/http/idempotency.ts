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
