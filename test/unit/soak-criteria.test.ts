import assert from 'node:assert/strict';
import {
  anonSlopeMbPerMin,
  heapFloorMb,
  judgeAnonGrowth,
  judgeAnonSlope,
  judgeHeapAfterFullGc,
  judgeMemory,
  leastSquaresSlope,
  MEMORY_LIMITS,
  parseDuration,
  soakTimings,
  type AnonSample,
  type FullGcSample,
} from '../../bench/soak-criteria';

/** Anonymous RSS every 10 s for `seconds`, from `f(atS)`. */
const sampled = (seconds: number, f: (atS: number) => number): AnonSample[] =>
  Array.from({ length: seconds / 10 + 1 }, (_, index) => ({ atS: index * 10, anonMb: f(index * 10) }));

/** A full GC every 7 s for `seconds`, from `f(atS)`. */
const collected = (seconds: number, f: (atS: number) => number): FullGcSample[] =>
  Array.from({ length: Math.floor(seconds / 7) }, (_, index) => ({ atS: (index + 1) * 7, heapAfterMb: f((index + 1) * 7) }));

describe('soak memory criterion', () => {
  describe('least-squares slope', () => {
    it('given points on a line, then the slope is the line\'s', () => {
      assert.equal(leastSquaresSlope([0, 1, 2, 3].map((x) => ({ x, y: 5 + 2 * x }))), 2);
    });

    it('given noise around a flat line, then the slope is near zero whatever the order of ups and downs', () => {
      const points = [0, 1, 2, 3, 4, 5].map((x) => ({ x, y: 100 + (x % 2 === 0 ? 3 : -3) }));
      assert.ok(Math.abs(leastSquaresSlope(points)) < 1.2, String(leastSquaresSlope(points)));
    });

    it('given fewer than two points or a single x, then there is no slope (NaN)', () => {
      assert.ok(Number.isNaN(leastSquaresSlope([])));
      assert.ok(Number.isNaN(leastSquaresSlope([{ x: 1, y: 2 }])));
      assert.ok(Number.isNaN(leastSquaresSlope([{ x: 1, y: 2 }, { x: 1, y: 5 }])));
    });

    it('given samples in seconds, then the anonymous RSS slope is in MB per minute and ignores the warm-up', () => {
      // Steep during the warm-up, 0.5 MB per minute after it.
      const samples = sampled(600, (atS) => (atS < 120 ? 10 + atS : 130 + ((atS - 120) / 60) * 0.5));
      assert.ok(Math.abs(anonSlopeMbPerMin(samples, 120) - 0.5) < 1e-9);
    });
  });

  describe('anonymous RSS slope', () => {
    it('given a server whose anonymous RSS is flat after the warm-up, then it passes', () => {
      const verdict = judgeAnonSlope(sampled(600, (atS) => (atS < 120 ? 60 + atS / 4 : 90 + Math.sin(atS) * 2)));
      assert.equal(verdict.outcome, 'PASS', verdict.measured);
    });

    it('given a leak of 2 MB per minute, then it fails and says how steep', () => {
      const verdict = judgeAnonSlope(sampled(600, (atS) => 90 + (atS / 60) * 2));
      assert.equal(verdict.outcome, 'FAIL');
      assert.match(verdict.measured, /^\+2\.00 MB\/min over 49 samples \(120-600 s\)$/);
    });

    it('given 0.99 MB per minute, then it passes; 1.01, then it fails', () => {
      assert.equal(judgeAnonSlope(sampled(600, (atS) => 90 + (atS / 60) * 0.99)).outcome, 'PASS');
      assert.equal(judgeAnonSlope(sampled(600, (atS) => 90 + (atS / 60) * 1.01)).outcome, 'FAIL');
    });

    it('given a run shorter than the warm-up, then it is not judged', () => {
      const verdict = judgeAnonSlope(sampled(110, () => 90));
      assert.equal(verdict.outcome, 'NOT JUDGED');
      assert.match(verdict.measured, /0 sample\(s\) after the warm-up/);
    });

    it('given a sample a little before the end of the warm-up (timer jitter), then it counts as the warm-up sample', () => {
      const samples = [{ atS: 119.8, anonMb: 90 }, { atS: 130, anonMb: 90 }];
      assert.match(judgeAnonSlope(samples).measured, /over 2 samples \(120-130 s\)/);
    });
  });

  describe('anonymous RSS growth', () => {
    it('given the last sample 15% over the warm-up sample, then it passes; 16%, then it fails', () => {
      const upTo = (last: number) => [...sampled(120, (atS) => 40 + atS / 3), { atS: 600, anonMb: last }];
      assert.equal(judgeAnonGrowth(upTo(92)).outcome, 'PASS');
      const failed = judgeAnonGrowth(upTo(80 * 1.16));
      assert.equal(failed.outcome, 'FAIL');
      assert.equal(failed.measured, '80.0 MB at 120 s → 92.8 MB at 600 s = 1.160 ×');
    });

    it('given growth only during the warm-up, then it passes', () => {
      assert.equal(judgeAnonGrowth(sampled(600, (atS) => Math.min(100, 30 + atS))).outcome, 'PASS');
    });

    it('given only the warm-up sample, then it is not judged', () => {
      assert.equal(judgeAnonGrowth(sampled(120, () => 90)).outcome, 'NOT JUDGED');
    });
  });

  describe('heap after full GC', () => {
    it('given the lowest heap of each span, then in-flight peaks between collections do not count', () => {
      const gcs = [
        { atS: 121, heapAfterMb: 30 },
        { atS: 130, heapAfterMb: 22 },
        { atS: 170, heapAfterMb: 25 },
        { atS: 200, heapAfterMb: 10 },
      ];
      assert.equal(heapFloorMb(gcs, 120, 180), 22);
      assert.equal(heapFloorMb(gcs, 300, 400), undefined);
    });

    it('given a heap that stays within 10%, then it passes, however it moves in between', () => {
      const verdict = judgeHeapAfterFullGc(collected(600, (atS) => (atS > 300 && atS < 400 ? 40 : 20 + (atS % 3))), 600);
      assert.equal(verdict.outcome, 'PASS', verdict.measured);
    });

    it('given a heap that grows by 12%, then it fails and shows both floors', () => {
      const verdict = judgeHeapAfterFullGc(collected(600, (atS) => 20 + (atS / 600) * 3.5), 600);
      assert.equal(verdict.outcome, 'FAIL');
      assert.equal(verdict.measured, '20.7 MB → 23.2 MB (+11.8%)');
    });

    it('given a heap that shrinks by more than 10%, then it fails too: it is not flat', () => {
      assert.equal(judgeHeapAfterFullGc(collected(600, (atS) => (atS < 300 ? 30 : 20)), 600).outcome, 'FAIL');
    });

    it('given no full GC in the last minute, then it is not judged', () => {
      const verdict = judgeHeapAfterFullGc(collected(500, () => 20), 600);
      assert.equal(verdict.outcome, 'NOT JUDGED');
      assert.equal(verdict.measured, 'no full GC in the last span');
    });

    it('given a load too short for the warm-up and two spans, then it is not judged', () => {
      const verdict = judgeHeapAfterFullGc(collected(200, () => 20), 200);
      assert.equal(verdict.outcome, 'NOT JUDGED');
      assert.match(verdict.measured, /shorter than the warm-up and two 60 s spans/);
    });

    it('given other limits (a short trial run), then they are the ones applied', () => {
      const limits = { ...MEMORY_LIMITS, warmUpS: 20, heapWindowS: 20 };
      assert.equal(judgeHeapAfterFullGc(collected(60, () => 20), 60, limits).outcome, 'PASS');
    });
  });

  it('given a flat server, then every memory verdict passes, in the order slope, growth, heap', () => {
    const verdicts = judgeMemory(sampled(600, () => 90), collected(600, () => 20), 600);
    assert.deepEqual(
      verdicts.map((verdict) => verdict.outcome),
      ['PASS', 'PASS', 'PASS'],
    );
    assert.match(verdicts[0].criterion, /slope/);
    assert.match(verdicts[1].criterion, /1\.15 ×/);
    assert.match(verdicts[2].criterion, /heap after full GC/);
  });

  describe('durations of the flags', () => {
    it('given seconds, minutes or both, then they are read as seconds', () => {
      assert.equal(parseDuration('600', 'duration'), 600);
      assert.equal(parseDuration('600s', 'duration'), 600);
      assert.equal(parseDuration('10m', 'duration'), 600);
      assert.equal(parseDuration('2m30s', 'duration'), 150);
      assert.equal(parseDuration('1.5m', 'duration'), 90);
    });

    it('given anything else, then the error names the flag and the value', () => {
      for (const text of ['', 'ten', '10h', '-5', 'm', '5 m s']) {
        assert.throws(() => parseDuration(text, 'warm-up'), /^Error: --warm-up must be a duration such as 600, 600s, 10m or 2m30s/, text);
      }
    });

    it('given zero or a fraction of a second, then it is refused', () => {
      assert.throws(() => parseDuration('0', 'duration'), /--duration must be a whole number of seconds, at least 1 \(got "0" = 0 s\)/);
      assert.throws(() => parseDuration('0.5s', 'duration'), /whole number of seconds/);
    });
  });

  describe('timing flags', () => {
    const defaults = { warmUp: '120s', sampleEvery: '10s', rssMark: '10' };

    it('given no duration, then the run is the measured 10 minutes, judged after 2 with 60 s heap spans', () => {
      const timings = soakTimings(defaults);
      assert.equal(timings.durationS, 600);
      assert.equal(timings.sampleEveryS, 10);
      assert.equal(timings.rssMarkS, 10);
      assert.deepEqual(timings.limits, MEMORY_LIMITS);
    });

    it('given --seconds, the old spelling, then it is the duration; both at once are refused', () => {
      assert.equal(soakTimings({ ...defaults, seconds: '60' }).durationS, 60);
      assert.throws(() => soakTimings({ ...defaults, seconds: '60', duration: '1m' }), /give --duration or --seconds, not both/);
      assert.throws(() => soakTimings({ ...defaults, seconds: 'a minute' }), /--seconds must be a duration/);
    });

    it('given a short trial run, then the heap spans shrink to fit it, never below 1 s', () => {
      assert.equal(soakTimings({ ...defaults, duration: '60s', warmUp: '20s' }).limits.heapWindowS, 20);
      assert.equal(soakTimings({ ...defaults, duration: '60s' }).limits.heapWindowS, 1);
    });

    it('given samples no more often than the run lasts, or an RSS mark outside it, then it is refused', () => {
      assert.throws(() => soakTimings({ ...defaults, duration: '10s' }), /--sample-every \(10 s\) must be shorter than the run \(10 s\)/);
      assert.throws(() => soakTimings({ ...defaults, duration: '60s', rssMark: '60' }), /--rss-mark must be a whole number of seconds within the run \(1-59; got "60"\)/);
      assert.throws(() => soakTimings({ ...defaults, rssMark: '2.5' }), /--rss-mark/);
      assert.throws(() => soakTimings({ ...defaults, warmUp: '0' }), /--warm-up must be a whole number of seconds/);
    });
  });
});
