import assert from 'node:assert/strict';
import type { StoredEvent } from '../../events/envelope';
import { IDEMPOTENCY_WINDOW_MS, IdempotencyProjection, idempotencyScopes, idempotentResultOf, keyHashOf } from '../../projections/idempotency';
import { itemsOf } from '../../projections/snapshot-items';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const HOUR = 60 * 60 * 1000;
const CREATE = idempotencyScopes.SessionCreated();
const hashOf = (n: number) => n.toString(16).padStart(64, '0');

let position = 0;
function keyedCreate(key: string | undefined, atMs: number, streamId = `session-${position + 1}`, type = 'SessionCreated'): StoredEvent {
  position += 1;
  const meta = { at: new Date(atMs).toISOString(), requestId: `req-${position}`, actor: 'test', ...(key ? { idempotencyKey: key, requestHash: hashOf(position) } : {}) };
  return { position, streamId, version: 1, type, schemaVersion: 1, data: {}, meta, hash: hashOf(position) };
}

describe('idempotency model', () => {
  it('given a keyed create, when asked within 24 hours, then it gives the first write; at 24 hours, nothing', () => {
    const model = new IdempotencyProjection();
    const event = keyedCreate('k1', T0);
    model.apply(event);

    const candidate = model.find(CREATE, 'k1', new Date(T0 + IDEMPOTENCY_WINDOW_MS - 1));
    assert.deepEqual(candidate, { requestHashPrefix: event.meta.requestHash!.slice(0, 32), at: T0, position: event.position });
    assert.deepEqual(idempotentResultOf(candidate!, event, CREATE, 'k1'), { requestHash: event.meta.requestHash, at: T0, streamId: event.streamId, position: event.position });
    assert.equal(model.find(CREATE, 'k1', new Date(T0 + IDEMPOTENCY_WINDOW_MS)), undefined);
    assert.equal(model.find(idempotencyScopes.ImportRequested(), 'k1', new Date(T0)), undefined, 'keys are per route');
  });

  it('given writes without a key or of a type no route keys, when applied, then nothing is kept', () => {
    const model = new IdempotencyProjection();
    model.apply(keyedCreate(undefined, T0));
    model.apply(keyedCreate('k1', T0, 'session-x', 'SessionRenamed'));
    assert.equal(model.size, 0);
  });

  it('given keys older than 24 hours, when a newer keyed write is applied, then they are forgotten and the recent ones kept', () => {
    const model = new IdempotencyProjection();
    model.apply(keyedCreate('old-1', T0));
    model.apply(keyedCreate('old-2', T0 + HOUR));
    model.apply(keyedCreate('recent', T0 + 3 * HOUR));

    model.apply(keyedCreate('new', T0 + IDEMPOTENCY_WINDOW_MS + 2 * HOUR));

    assert.equal(model.size, 2);
    assert.ok(model.find(CREATE, 'recent', new Date(T0 + IDEMPOTENCY_WINDOW_MS + 2 * HOUR)));
  });

  it('given a key written again, when the first write expires, then the second is kept', () => {
    const model = new IdempotencyProjection();
    model.apply(keyedCreate('again', T0, 'session-first'));
    model.apply(keyedCreate('other', T0 + HOUR));
    const second = keyedCreate('again', T0 + 2 * HOUR, 'session-second');
    model.apply(second);

    const now = T0 + IDEMPOTENCY_WINDOW_MS + 90 * 60 * 1000;
    model.apply(keyedCreate('late', now));

    assert.equal(model.find(CREATE, 'again', new Date(now))?.position, second.position);
    assert.equal(model.find(CREATE, 'other', new Date(now)), undefined);
    assert.equal(model.size, 2);
  });

  it('given a cap of 3 keys, when 5 are written within 24 hours, then the 2 oldest are forgotten early', () => {
    const model = new IdempotencyProjection(3);
    for (let index = 1; index <= 5; index += 1) model.apply(keyedCreate(`k${index}`, T0 + index * 1000));

    const now = new Date(T0 + HOUR);
    assert.deepEqual(['k1', 'k2', 'k3', 'k4', 'k5'].map((key) => model.find(CREATE, key, now) !== undefined), [false, false, true, true, true]);
    assert.equal(model.size, 3);
  });

  it('given a time that cannot be read, when applied, then the key is not kept (no request could find it)', () => {
    const model = new IdempotencyProjection();
    const event = keyedCreate('leap', T0);
    model.apply({ ...event, meta: { ...event.meta, at: '2026-12-31T23:59:60Z' } });
    assert.equal(model.size, 0);
    assert.doesNotThrow(() => model.snapshot());
  });

  it('given a snapshot, when restored, then it holds the keys in write order by hash, and a smaller cap keeps the newest', () => {
    const model = new IdempotencyProjection();
    const events = [keyedCreate('b', T0 + 2000), keyedCreate('a', T0 + 1000), keyedCreate('c', T0)];
    events.forEach((event) => model.apply(event));
    const saved = model.snapshot();

    assert.deepEqual(
      saved,
      events.map((event) => [...keyHashOf(CREATE, event.meta.idempotencyKey!), event.meta.requestHash!.slice(0, 32), Date.parse(event.meta.at), event.position]),
    );
    assert.ok(saved.every((item) => item.every((member) => typeof member !== 'string' || member.length === 32)), 'no key text is kept');

    const restored = new IdempotencyProjection();
    restored.restore(itemsOf(saved));
    assert.deepEqual(restored.snapshot(), saved);
    assert.equal(restored.find(CREATE, 'a', new Date(T0 + HOUR))?.at, T0 + 1000);

    const capped = new IdempotencyProjection(2);
    capped.restore(itemsOf(saved));
    assert.deepEqual(capped.snapshot().map((item) => item[4]), [events[1].position, events[2].position]);
  });

  it('given a candidate whose event is another key, route or body (a hash collision), when confirmed, then it is not replayed', () => {
    const model = new IdempotencyProjection();
    const event = keyedCreate('k1', T0);
    model.apply(event);
    const candidate = model.find(CREATE, 'k1', new Date(T0))!;

    assert.equal(idempotentResultOf(candidate, { ...event, meta: { ...event.meta, idempotencyKey: 'k2' } }, CREATE, 'k1'), undefined);
    assert.equal(idempotentResultOf(candidate, event, idempotencyScopes.ImportRequested(), 'k1'), undefined);
    assert.equal(idempotentResultOf(candidate, { ...event, type: 'ImportRequested' }, CREATE, 'k1'), undefined);
    assert.equal(idempotentResultOf(candidate, { ...event, meta: { ...event.meta, requestHash: 'f'.repeat(64) } }, CREATE, 'k1'), undefined);
    assert.equal(idempotentResultOf(candidate, { ...event, position: event.position + 1 }, CREATE, 'k1'), undefined);
    assert.equal(idempotentResultOf(candidate, undefined, CREATE, 'k1'), undefined);
  });

  it('given thousands of keys written, rewritten, capped and expired, when looked up, then it answers as a map in write order would', () => {
    const cap = 1500;
    const model = new IdempotencyProjection(cap);
    const reference = new Map<string, { at: number; position: number }>();
    let seed = 7;
    const random = (below: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % below;
    };
    let at = T0;
    for (let step = 0; step < 12_000; step += 1) {
      at += random(60_000);
      const key = `key-${random(4000)}`;
      const event = keyedCreate(key, at);
      model.apply(event);
      reference.delete(key);
      reference.set(key, { at, position: event.position });
      if (reference.size > cap) reference.delete(reference.keys().next().value!);
      for (const [old, kept] of reference) {
        if (!(kept.at < at - IDEMPOTENCY_WINDOW_MS)) break;
        reference.delete(old);
      }
    }
    assert.equal(model.size, reference.size);
    const now = new Date(at);
    for (let key = 0; key < 4000; key += 1) {
      const kept = reference.get(`key-${key}`);
      const found = model.find(CREATE, `key-${key}`, now);
      assert.deepEqual(found && { at: found.at, position: found.position }, kept && now.getTime() - kept.at < IDEMPOTENCY_WINDOW_MS ? kept : undefined, `key-${key}`);
    }
    assert.deepEqual(model.snapshot().map((item) => item[4]), [...reference.values()].map((kept) => kept.position));
  });

  it('refuses a cap under 1', () => {
    assert.throws(() => new IdempotencyProjection(0), /at least 1 key, not 0/);
  });
});
