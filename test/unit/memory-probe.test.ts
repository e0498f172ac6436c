import assert from 'node:assert/strict';
import { anonSplitOf, memoryOf } from '../../bench/harness';
import { parseProbeLine, PROBE_PREFIX } from '../../bench/memory-probe';

describe('the soak\'s split of anonymous memory', () => {
  it('reads the probe\'s lines and nothing else', () => {
    const reading = { heapTotal: 70e6, external: 5e6, arrayBuffers: 2.5e6, malloced: 5e5 };
    assert.deepEqual(parseProbeLine(`${PROBE_PREFIX}${JSON.stringify(reading)}`), reading);
    assert.equal(parseProbeLine('[123:0x1]      10 ms: Scavenge 20.1 (30.2) -> 19.8 (30.2) MB'), undefined);
    assert.equal(parseProbeLine(`${PROBE_PREFIX}{"heapTotal":1}`), undefined);
    assert.equal(parseProbeLine(`${PROBE_PREFIX}not json`), undefined);
  });

  it('splits a live process\'s anonymous memory into parts that add up to its RssAnon', () => {
    const split = anonSplitOf(process.pid);
    const memory = memoryOf(process.pid);
    if (split === null || memory === null) return; // no /proc (not Linux)
    const total = split.brkMb + split.threadArenasMb + split.otherMb;
    assert.ok(split.otherMb > 0, 'V8\'s heap lies in other mappings');
    // smaps and status are read a moment apart, and status counts in whole pages per mapping kind.
    assert.ok(Math.abs(total - memory.anonMb) < Math.max(4, memory.anonMb * 0.1), `${total.toFixed(1)} MB against RssAnon ${memory.anonMb.toFixed(1)} MB`);
  });

  it('gives null for a process that is not there', () => {
    assert.equal(anonSplitOf(2 ** 22 + 1), null);
  });
});
