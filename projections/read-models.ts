import { IdempotencyProjection } from './idempotency';
import { SessionsProjection } from './sessions';

/** Every read model the server keeps, fresh and empty: the server and `rebuild` build the same set. */
export function createReadModels() {
  const sessions = new SessionsProjection();
  const idempotency = new IdempotencyProjection();
  return { sessions, idempotency, all: [sessions, idempotency] };
}
