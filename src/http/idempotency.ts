import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import stringify from 'safe-stable-stringify';
import type { EventMeta } from '../../events/envelope';
import { idempotentResultOf, type IdempotentResult } from '../../projections/idempotency';
import { ApiError } from '../errors';
import type { Services } from './services';

const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The request's Idempotency-Key, if it sent one: 1-255 visible ASCII characters. An empty one is
 * refused, not taken for none: the client meant its retries to be safe.
 */
export function idempotencyKeyOf(ctx: Context): string | undefined {
  if (ctx.request.headers['idempotency-key'] === undefined) return undefined;
  const key = ctx.get('Idempotency-Key');
  if (!KEY.test(key)) {
    const message = key === '' ? 'is empty: send 1-255 visible ASCII characters, or leave the header out' : 'must be 1-255 visible ASCII characters';
    throw new ApiError('invalid_request', `Idempotency-Key ${message}.`, [{ field: 'Idempotency-Key', message }]);
  }
  return key;
}

/** Bodies that are JSON-equal (whatever their key order) hash the same. */
export const requestHash = (body: unknown) => createHash('sha256').update(stringify(body) ?? '').digest('hex');

/**
 * Runs a write under the request's Idempotency-Key, if it sent one (§10): the first request with a
 * key writes, with the key and its body's hash in the events' meta; a retry with a JSON-equal body
 * within 24 h is answered by `replay` and writes nothing; another body is refused. Requests with
 * the same key take turns, so concurrent retries are replayed too.
 */
export function onceByKey(
  services: Services,
  ctx: Context,
  scope: string,
  body: unknown,
  write: (meta: Partial<EventMeta>) => Promise<void>,
  replay: (first: IdempotentResult) => Promise<void>,
): Promise<void> {
  const key = idempotencyKeyOf(ctx);
  if (key === undefined) return write({});
  return services.keyedRequests.run(`${scope}\u0000${key}`, async () => {
    const hash = requestHash(body);
    const first = await confirmedFirst(services, scope, key);
    if (!first) return write({ idempotencyKey: key, requestHash: hash });
    if (first.requestHash !== hash) throw new ApiError('idempotency_key_reused');
    ctx.set('Idempotent-Replayed', 'true');
    await replay(first);
  });
}

/** The model knows keys only by hash: the event it points at says whether it is really this key's. */
async function confirmedFirst(services: Services, scope: string, key: string): Promise<IdempotentResult | undefined> {
  const candidate = services.idempotency.find(scope, key, services.now());
  if (!candidate) return undefined;
  for await (const event of services.store.readAll(candidate.position - 1, 1, null, candidate.position)) return idempotentResultOf(candidate, event, scope, key);
  return undefined;
}
