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
  /** When the first request was made, in milliseconds since the epoch. */
  at: number;
  /** The write the first request made: its session, and the position where the response's state was. */
  streamId: string;
  position: number;
}

/** What a snapshot holds per key: the result as the log's metadata gives it. */
interface SavedResult {
  requestHash: string;
  at: string;
  streamId: string;
  position: number;
}

export const DEFAULT_MAX_IDEMPOTENCY_KEYS = 200_000;

/** A request hash (64 hex digits, as the meta schema requires) kept as 32 one-byte characters: half the memory. */
const packHash = (hex: string) => Buffer.from(hex, 'hex').toString('latin1');
const unpackHash = (packed: string) => Buffer.from(packed, 'latin1').toString('hex');

/**
 * Writes made under an Idempotency-Key, by route and key, for 24 hours: rebuilt from the log's
 * metadata, so a retry after a restart is still recognised. At most `maxKeys` are kept: past it
 * the oldest are forgotten before their 24 hours are up (docs/hardening.md, "Memory kept per write").
 */
export class IdempotencyProjection implements Projection {
  readonly name = 'idempotency';
  readonly version = 2;
  /**
   * In the order they were written (a key written again moves to the end): the oldest come first.
   * Their request hashes are packed.
   */
  private readonly results = new Map<string, IdempotentResult>();

  constructor(private readonly maxKeys = DEFAULT_MAX_IDEMPOTENCY_KEYS) {
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`the idempotency model needs room for at least 1 key, not ${maxKeys}`);
  }

  get size(): number {
    return this.results.size;
  }

  apply(event: StoredEvent): void {
    const { idempotencyKey, requestHash } = event.meta;
    if (!idempotencyKey || !requestHash) return;
    const scope = scopeOf(event);
    if (!scope) return;
    const at = Date.parse(event.meta.at);
    // A time Date cannot read (a leap second) makes a key no request can ever find.
    if (Number.isNaN(at)) return;
    this.remember(`${scope}\u0000${idempotencyKey}`, { requestHash: packHash(requestHash), at, streamId: event.streamId, position: event.position });
    this.forgetBefore(at - IDEMPOTENCY_WINDOW_MS);
  }

  snapshot(): Array<[string, SavedResult]> {
    return [...this.results]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, { requestHash, at, streamId, position }]) => [key, { requestHash: unpackHash(requestHash), at: new Date(at).toISOString(), streamId, position }]);
  }

  restore(items: SnapshotItems): void {
    const results = (allItems(items) as Array<[string, SavedResult]>)
      .map(([key, { requestHash, at, streamId, position }]): [string, IdempotentResult] => [key, { requestHash: packHash(requestHash), at: Date.parse(at), streamId, position }])
      .filter(([, result]) => !Number.isNaN(result.at))
      .sort(([, a], [, b]) => a.at - b.at);
    for (const [key, result] of results) this.remember(key, result);
  }

  /** The result of the first request with this key on this route, if it is less than 24 hours old. */
  find(scope: string, idempotencyKey: string, now: Date): IdempotentResult | undefined {
    const result = this.results.get(`${scope}\u0000${idempotencyKey}`);
    return result && now.getTime() - result.at < IDEMPOTENCY_WINDOW_MS ? { ...result, requestHash: unpackHash(result.requestHash) } : undefined;
  }

  private remember(key: string, result: IdempotentResult): void {
    this.results.delete(key);
    this.results.set(key, result);
    if (this.results.size > this.maxKeys) this.results.delete(this.results.keys().next().value!);
  }

  private forgetBefore(cutoff: number): void {
    for (const [key, { at }] of this.results) {
      if (!(at < cutoff)) return;
      this.results.delete(key);
    }
  }
}
