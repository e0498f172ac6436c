import assert from 'node:assert/strict';
import type { StoredEvent } from '../../events/envelope';
import { evolveSession, type SessionState } from '../../projections/session-state';
import { JSON_CACHE_SIZE, SessionJsonCache, toSession } from '../../src/http/session-view';

const meta = { at: '2026-11-29T10:00:00.000Z', requestId: 'r1', actor: 'token:abc' };
const base = 'http://127.0.0.1:4321/api/v1';

function created(id: string, title: string): SessionState {
  const event: StoredEvent = {
    position: 1,
    streamId: id,
    version: 1,
    type: 'SessionCreated',
    schemaVersion: 1,
    data: { title, kind: 'Other', status: 'draft', accent: 'default', tags: [], notes: '', client: null, projectPath: null },
    meta,
    hash: 'h',
  };
  return evolveSession(undefined, event)!;
}

function retitled(state: SessionState, title: string): SessionState {
  const event: StoredEvent = { position: state.version + 1, streamId: state.id, version: state.version + 1, type: 'SessionUpdated', schemaVersion: 1, data: { title }, meta, hash: 'h' };
  return evolveSession(state, event)!;
}

describe('session JSON cache', () => {
  it('given a session listed, when it changes, then its text is the new state and the old one is not kept beside it', () => {
    const cache = new SessionJsonCache();
    const first = created('session_A', 'Demo');
    assert.deepEqual(JSON.parse(cache.of(first, base)), toSession(first, base));
    let state = first;
    for (let change = 1; change <= 50; change += 1) {
      state = retitled(state, `Demo ${change}`);
      assert.equal(JSON.parse(cache.of(state, base)).title, `Demo ${change}`);
    }
    assert.equal(cache.size, 1);
  });

  it('given the same state under another base URL, then the text carries that base', () => {
    const cache = new SessionJsonCache();
    const state = created('session_B', 'Beat');
    cache.of(state, base);
    const other = 'http://localhost:4321/api/v1';
    assert.deepEqual(JSON.parse(cache.of(state, other)), toSession(state, other));
  });

  it('keeps at most JSON_CACHE_SIZE sessions and still answers for the ones it dropped', () => {
    const cache = new SessionJsonCache();
    const states = Array.from({ length: JSON_CACHE_SIZE + 10 }, (_, index) => created(`session_${index}`, `Take ${index}`));
    for (const state of states) cache.of(state, base);
    assert.equal(cache.size, JSON_CACHE_SIZE);
    assert.equal(JSON.parse(cache.of(states[0], base)).title, 'Take 0');
    assert.equal(cache.size, JSON_CACHE_SIZE);
  });
});
