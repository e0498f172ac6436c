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

/** The route the event's key was given to, if its type is one a route writes under a key. */
export const scopeOf = (event: StoredEvent): string | undefined =>
  Object.hasOwn(idempotencyScopes, event.type) ? idempotencyScopes[event.type as keyof typeof idempotencyScopes](event.streamId) : undefined;

/** What the first request with a key made: the write to replay, once the log confirms it is that key's. */
export interface IdempotentResult {
  requestHash: string;
  /** When the first request was made, in milliseconds since the epoch. */
  at: number;
  /** The write the first request made: its session, and the position where the response's state was. */
  streamId: string;
  position: number;
}

/**
 * What the model keeps of a key: no key text, only its hash, so the event at `position` must be
 * read to confirm the key (idempotentResultOf) before it is replayed.
 */
export interface IdempotentCandidate {
  /** The first REQUEST_HASH_PREFIX_BYTES of the request hash, as hex. */
  requestHashPrefix: string;
  at: number;
  position: number;
}

/** What a snapshot holds per key, in write order: [key hash high, key hash low, request hash prefix, at, position]. */
type SavedResult = [number, number, string, number, number];

export const DEFAULT_MAX_IDEMPOTENCY_KEYS = 200_000;
export const REQUEST_HASH_PREFIX_BYTES = 16;
const INITIAL_SLOTS = 1024;
const EMPTY = -1;

/** A 64-bit hash of the key on its route, as two 32-bit halves (two multiplicative lanes over its UTF-16 code units). */
export function keyHashOf(scope: string, idempotencyKey: string): [number, number] {
  const text = `${scope}\u0000${idempotencyKey}`;
  let high = 0xdeadbeef;
  let low = 0x41c6ce57;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    high = Math.imul(high ^ code, 2654435761);
    low = Math.imul(low ^ code, 1597334677);
  }
  high = Math.imul(high ^ (high >>> 16), 2246822507) ^ Math.imul(low ^ (low >>> 13), 3266489909);
  low = Math.imul(low ^ (low >>> 16), 2246822507) ^ Math.imul(high ^ (high >>> 13), 3266489909);
  return [high >>> 0, low >>> 0];
}

/**
 * The confirmed result when the event at the candidate's position is the first write of exactly
 * this key on this route with this request hash prefix; undefined otherwise (a hash collision).
 */
export function idempotentResultOf(candidate: IdempotentCandidate, event: StoredEvent | undefined, scope: string, idempotencyKey: string): IdempotentResult | undefined {
  if (!event || event.position !== candidate.position) return undefined;
  const { idempotencyKey: storedKey, requestHash } = event.meta;
  if (storedKey !== idempotencyKey || !requestHash || scopeOf(event) !== scope) return undefined;
  if (requestHash.slice(0, REQUEST_HASH_PREFIX_BYTES * 2).toLowerCase() !== candidate.requestHashPrefix) return undefined;
  return { requestHash, at: candidate.at, streamId: event.streamId, position: event.position };
}

/**
 * Writes made under an Idempotency-Key, by route and key, for 24 hours: rebuilt from the log's
 * metadata, so a retry after a restart is still recognised. At most `maxKeys` are kept: past it
 * the oldest are forgotten before their 24 hours are up (docs/hardening.md, "Memory kept per write").
 * Entries live in typed arrays (memory outside the JS heap): a ring of slots in write order, the
 * oldest at the head, and an open-addressing table from key hash to slot.
 */
export class IdempotencyProjection implements Projection {
  readonly name = 'idempotency';
  readonly version = 3;
  private capacity = 0;
  private head = 0;
  /** Slots in the ring, live or dead (a key written again leaves its older slot dead). */
  private used = 0;
  private live = 0;
  private keyHigh = new Uint32Array(0);
  private keyLow = new Uint32Array(0);
  private requestHashes = new Uint8Array(0);
  private ats = new Float64Array(0);
  private positions = new Float64Array(0);
  private alive = new Uint8Array(0);
  /** Slot indexes by key hash, EMPTY where free; linear probing, backward-shift deletion. */
  private table = new Int32Array(0);

  constructor(private readonly maxKeys = DEFAULT_MAX_IDEMPOTENCY_KEYS) {
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`the idempotency model needs room for at least 1 key, not ${maxKeys}`);
    this.resize(Math.min(INITIAL_SLOTS, maxKeys));
  }

  get size(): number {
    return this.live;
  }

  apply(event: StoredEvent): void {
    const { idempotencyKey, requestHash } = event.meta;
    if (!idempotencyKey || !requestHash) return;
    const scope = scopeOf(event);
    if (!scope) return;
    const at = Date.parse(event.meta.at);
    // A time Date cannot read (a leap second) makes a key no request can ever find.
    if (Number.isNaN(at)) return;
    const [high, low] = keyHashOf(scope, idempotencyKey);
    this.remember(high, low, requestHash.slice(0, REQUEST_HASH_PREFIX_BYTES * 2).toLowerCase(), at, event.position);
    this.forgetBefore(at - IDEMPOTENCY_WINDOW_MS);
  }

  snapshot(): SavedResult[] {
    const saved: SavedResult[] = [];
    this.eachLiveSlot((slot) => saved.push([this.keyHigh[slot], this.keyLow[slot], this.requestHashPrefixAt(slot), this.ats[slot], this.positions[slot]]));
    return saved;
  }

  restore(items: SnapshotItems): void {
    for (const [high, low, prefix, at, position] of allItems(items) as SavedResult[]) this.remember(high, low, prefix, at, position);
  }

  /**
   * The first request with this key on this route, if it is less than 24 hours old, as far as the
   * key's hash tells: confirm it against the log with idempotentResultOf before replaying it.
   */
  find(scope: string, idempotencyKey: string, now: Date): IdempotentCandidate | undefined {
    const [high, low] = keyHashOf(scope, idempotencyKey);
    const index = this.indexOf(high, low);
    if (index === EMPTY) return undefined;
    const slot = this.table[index];
    if (!(now.getTime() - this.ats[slot] < IDEMPOTENCY_WINDOW_MS)) return undefined;
    return { requestHashPrefix: this.requestHashPrefixAt(slot), at: this.ats[slot], position: this.positions[slot] };
  }

  private remember(high: number, low: number, requestHashPrefix: string, at: number, position: number): void {
    const existing = this.indexOf(high, low);
    if (existing !== EMPTY) {
      this.alive[this.table[existing]] = 0;
      this.live -= 1;
      this.removeAt(existing);
    }
    if (this.live >= this.maxKeys) this.forgetOldest();
    if (this.used === this.capacity) {
      if (this.used > this.live) this.resize(this.capacity);
      else this.resize(Math.min(this.capacity * 2, this.maxKeys));
    }
    const slot = (this.head + this.used) % this.capacity;
    this.used += 1;
    this.live += 1;
    this.keyHigh[slot] = high;
    this.keyLow[slot] = low;
    this.requestHashes.set(Buffer.from(requestHashPrefix, 'hex').subarray(0, REQUEST_HASH_PREFIX_BYTES), slot * REQUEST_HASH_PREFIX_BYTES);
    this.ats[slot] = at;
    this.positions[slot] = position;
    this.alive[slot] = 1;
    this.insert(slot);
  }

  private forgetBefore(cutoff: number): void {
    while (this.used > 0) {
      if (this.alive[this.head] && !(this.ats[this.head] < cutoff)) return;
      this.popHead();
    }
  }

  private forgetOldest(): void {
    while (this.used > 0 && !this.alive[this.head]) this.popHead();
    if (this.used > 0) this.popHead();
  }

  private popHead(): void {
    const slot = this.head;
    if (this.alive[slot]) {
      this.removeAt(this.indexOf(this.keyHigh[slot], this.keyLow[slot]));
      this.alive[slot] = 0;
      this.live -= 1;
    }
    this.head = (this.head + 1) % this.capacity;
    this.used -= 1;
  }

  private eachLiveSlot(visit: (slot: number) => void): void {
    for (let offset = 0; offset < this.used; offset += 1) {
      const slot = (this.head + offset) % this.capacity;
      if (this.alive[slot]) visit(slot);
    }
  }

  private requestHashPrefixAt(slot: number): string {
    const start = slot * REQUEST_HASH_PREFIX_BYTES;
    return Buffer.from(this.requestHashes.buffer, start, REQUEST_HASH_PREFIX_BYTES).toString('hex');
  }

  /** New arrays of `capacity` slots holding the live entries from slot 0 on, in order; the table rebuilt. */
  private resize(capacity: number): void {
    const order: number[] = [];
    this.eachLiveSlot((slot) => order.push(slot));
    const keyHigh = new Uint32Array(capacity);
    const keyLow = new Uint32Array(capacity);
    const requestHashes = new Uint8Array(capacity * REQUEST_HASH_PREFIX_BYTES);
    const ats = new Float64Array(capacity);
    const positions = new Float64Array(capacity);
    const alive = new Uint8Array(capacity);
    order.forEach((slot, index) => {
      keyHigh[index] = this.keyHigh[slot];
      keyLow[index] = this.keyLow[slot];
      requestHashes.set(this.requestHashes.subarray(slot * REQUEST_HASH_PREFIX_BYTES, (slot + 1) * REQUEST_HASH_PREFIX_BYTES), index * REQUEST_HASH_PREFIX_BYTES);
      ats[index] = this.ats[slot];
      positions[index] = this.positions[slot];
      alive[index] = 1;
    });
    Object.assign(this, { capacity, keyHigh, keyLow, requestHashes, ats, positions, alive, head: 0, used: order.length, live: order.length });
    let tableSize = 2;
    while (tableSize < capacity * 2) tableSize *= 2;
    this.table = new Int32Array(tableSize).fill(EMPTY);
    for (let slot = 0; slot < this.used; slot += 1) this.insert(slot);
  }

  private homeOf(high: number, low: number): number {
    return (Math.imul(high ^ low, 0x9e3779b1) >>> 0) & (this.table.length - 1);
  }

  private indexOf(high: number, low: number): number {
    const mask = this.table.length - 1;
    for (let index = this.homeOf(high, low); ; index = (index + 1) & mask) {
      const slot = this.table[index];
      if (slot === EMPTY) return EMPTY;
      if (this.keyHigh[slot] === high && this.keyLow[slot] === low) return index;
    }
  }

  private insert(slot: number): void {
    const mask = this.table.length - 1;
    let index = this.homeOf(this.keyHigh[slot], this.keyLow[slot]);
    while (this.table[index] !== EMPTY) index = (index + 1) & mask;
    this.table[index] = slot;
  }

  /** Backward-shift deletion: later entries of the probe run move up, so no lookup stops early. */
  private removeAt(index: number): void {
    const mask = this.table.length - 1;
    let hole = index;
    for (let next = (hole + 1) & mask; this.table[next] !== EMPTY; next = (next + 1) & mask) {
      const slot = this.table[next];
      const home = this.homeOf(this.keyHigh[slot], this.keyLow[slot]);
      // An entry whose home lies cyclically in (hole, next] must stay where it is.
      if (((next - home) & mask) < ((next - hole) & mask)) continue;
      this.table[hole] = slot;
      hole = next;
    }
    this.table[hole] = EMPTY;
  }
}
