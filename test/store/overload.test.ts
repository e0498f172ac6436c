import assert from 'node:assert/strict';
import { EventLog, MemoryBackend, isStoreError } from '../../src/store';
import { meta, sessionCreated } from './fixtures';

describe('event log: a bounded write queue', () => {
  it('given a queue limit of 3, when 10 appends arrive in one turn, then 3 are committed and 7 refused with STORE_OVERLOADED', async () => {
    const store = await EventLog.open(new MemoryBackend(), { maxQueuedAppends: 3 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, index) => store.append(`session_${index}`, 0, [sessionCreated()], meta())));

    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 3);
    const refused = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    assert.equal(refused.length, 7);
    assert.ok(refused.every((result) => isStoreError(result.reason, 'STORE_OVERLOADED')));
    assert.equal(store.head().position, 3);
    await store.close();
  });

  it('given a full queue, when its batch has been committed, then appends are accepted again', async () => {
    const store = await EventLog.open(new MemoryBackend(), { maxQueuedAppends: 2 });
    const first = [store.append('session_a', 0, [sessionCreated()], meta()), store.append('session_b', 0, [sessionCreated()], meta())];
    await assert.rejects(store.append('session_c', 0, [sessionCreated()], meta()), (error) => isStoreError(error, 'STORE_OVERLOADED'));
    await Promise.all(first);

    await store.append('session_c', 0, [sessionCreated()], meta());
    assert.equal(store.head().position, 3);
    await store.close();
  });

  it('given a byte limit, when one append would pass it behind others, then it is refused; alone it is always taken', async () => {
    const store = await EventLog.open(new MemoryBackend(), { maxQueuedBytes: 600 });
    const big = sessionCreated({ notes: 'x'.repeat(500) });
    const first = store.append('session_a', 0, [big], meta());
    await assert.rejects(store.append('session_b', 0, [big], meta()), (error) => isStoreError(error, 'STORE_OVERLOADED'));
    await first;
    await store.append('session_b', 0, [big], meta());
    assert.equal(store.head().position, 2);
    await store.close();
  });
});
