import type { StoredEvent } from '../events/envelope';
import type { Projection } from './runner';
import { allItems, type SnapshotItems } from './snapshot-items';

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** The route an event's idempotency key was given to: keys are scoped per route (§10). */
export const idempotencyScopes = {
  SessionCreated: () => 'POST /api/v1/sessions',
  PreviewAttached: (sessionId: string) => `POST /api/v1/sessions/${sessionId}/previews`,
  ImportRequested: () => 'POST /api/v1/import',
} as const;

const scopeOf = (event: StoredEvent): string | undefined =>
  Object.hasOwn(idempotencyScopes, event.type) ? idempotencyScopes[event.type as keyof typeof idempotencyScopes](event.streamId) : undefined;

export interface IdempotentResult {
  requestHash: string;
  at: string;
  /** The write the first request made: its session, and the position where the response's state was. */
  streamId: string;
  position: number;
}

/**
 * Writes made under an Idempotency-Key, by route and key, for 24 hours: rebuilt from the log's
 * metadata, so a retry after a restart is still recognised.
 */
export class IdempotencyProjection implements Projection {
  readonly name = 'idempotency';
  readonly version = 2;
  private readonly results = new Map<string, IdempotentResult>();
  /** Keys in the order they were written, to forget them once the window has passed. */
  private readonly expiry: Array<{ key: string; at: number }> = [];

  apply(event: StoredEvent): void {
    const { idempotencyKey, requestHash, at } = event.meta;
    if (!idempotencyKey || !requestHash) return;
    const scope = scopeOf(event);
    if (!scope) return;
    const key = `${scope}\u0000${idempotencyKey}`;
    this.results.set(key, { requestHash, at, streamId: event.streamId, position: event.position });
    this.expiry.push({ key, at: Date.parse(at) });
    this.forgetBefore(Date.parse(at) - IDEMPOTENCY_WINDOW_MS);
  }

  snapshot(): Array<[string, IdempotentResult]> {
    return [...this.results].sort(([a], [b]) => (a < b ? -1 : 1));
  }

  restore(items: SnapshotItems): void {
    const results = (allItems(items) as Array<[string, IdempotentResult]>).sort(([, a], [, b]) => Date.parse(a.at) - Date.parse(b.at));
    for (const [key, result] of results) {
      this.results.set(key, result);
      this.expiry.push({ key, at: Date.parse(result.at) });
    }
  }

  /** The result of the first request with this key on this route, if it is less than 24 hours old. */
  find(scope: string, idempotencyKey: string, now: Date): IdempotentResult | undefined {
    const result = this.results.get(`${scope}\u0000${idempotencyKey}`);
    return result && now.getTime() - Date.parse(result.at) < IDEMPOTENCY_WINDOW_MS ? result : undefined;
  }

  private forgetBefore(cutoff: number): void {
    let expired = 0;
    while (expired < this.expiry.length && this.expiry[expired].at < cutoff) {
      const { key, at } = this.expiry[expired];
      if (Date.parse(this.results.get(key)?.at ?? '') === at) this.results.delete(key);
      expired += 1;
    }
    if (expired > 0) this.expiry.splice(0, expired);
  }
}
