import assert from 'node:assert/strict';
import type { StoredEvent } from '../../events/envelope';
import { IDEMPOTENCY_WINDOW_MS, IdempotencyProjection, idempotencyScopes } from '../../projections/idempotency';
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

    assert.deepEqual(model.find(CREATE, 'k1', new Date(T0 + IDEMPOTENCY_WINDOW_MS - 1)), { requestHash: event.meta.requestHash, at: T0, streamId: event.streamId, position: event.position });
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
    model.apply(keyedCreate('again', T0 + 2 * HOUR, 'session-second'));

    const now = T0 + IDEMPOTENCY_WINDOW_MS + 90 * 60 * 1000;
    model.apply(keyedCreate('late', now));

    assert.equal(model.find(CREATE, 'again', new Date(now))?.streamId, 'session-second');
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

  it('given a snapshot, when restored, then it holds the log\'s ISO times as before, and a smaller cap keeps the newest', () => {
    const model = new IdempotencyProjection();
    const events = [keyedCreate('b', T0 + 2000), keyedCreate('a', T0 + 1000), keyedCreate('c', T0)];
    events.forEach((event) => model.apply(event));
    const saved = model.snapshot();

    assert.deepEqual(saved, [
      ['POST /api/v1/sessions\u0000a', { requestHash: events[1].meta.requestHash, streamId: events[1].streamId, position: events[1].position, at: events[1].meta.at }],
      ['POST /api/v1/sessions\u0000b', { requestHash: events[0].meta.requestHash, streamId: events[0].streamId, position: events[0].position, at: events[0].meta.at }],
      ['POST /api/v1/sessions\u0000c', { requestHash: events[2].meta.requestHash, streamId: events[2].streamId, position: events[2].position, at: events[2].meta.at }],
    ]);

    const restored = new IdempotencyProjection();
    restored.restore(itemsOf(saved));
    assert.deepEqual(restored.snapshot(), saved);
    assert.equal(restored.find(CREATE, 'a', new Date(T0 + HOUR))?.at, T0 + 1000);

    const capped = new IdempotencyProjection(2);
    capped.restore(itemsOf(saved));
    assert.deepEqual(capped.snapshot().map(([key]) => key.split('\u0000')[1]), ['a', 'b']);
  });

  it('given a snapshot holding a time that cannot be read (an older server kept such keys), when restored, then that key is left out', () => {
    const model = new IdempotencyProjection();
    model.restore(
      itemsOf([
        ['POST /api/v1/sessions\u0000leap', { requestHash: hashOf(1), at: '2026-12-31T23:59:60Z', streamId: 'session-1', position: 1 }],
        ['POST /api/v1/sessions\u0000fine', { requestHash: hashOf(2), at: new Date(T0).toISOString(), streamId: 'session-2', position: 2 }],
      ]),
    );
    assert.deepEqual(model.snapshot().map(([key]) => key), ['POST /api/v1/sessions\u0000fine']);
  });

  it('refuses a cap under 1', () => {
    assert.throws(() => new IdempotencyProjection(0), /at least 1 key, not 0/);
  });
});
