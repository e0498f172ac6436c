/**
 * The soak's memory criterion (issue 17), as pure functions over what the soak sampled:
 * - anonymous RSS (the process's own memory: JS heap, malloc, stacks; not page cache) sampled at
 *   a fixed interval; after the warm-up its least-squares slope is at most 1 MB per minute and the
 *   last sample at most 1.15 × the sample at the end of the warm-up;
 * - the JS heap left after each full (mark-compact) GC: after the warm-up, its floor over the last
 *   minute of the load within 10% of its floor over the first minute after the warm-up.
 */

export interface AnonSample {
  /** Seconds into the load. */
  atS: number;
  anonMb: number;
}

export interface FullGcSample {
  /** Seconds into the load. */
  atS: number;
  /** The JS heap's live objects right after the collection, MB. */
  heapAfterMb: number;
}

export interface MemoryLimits {
  /** Seconds of load before anything is judged. */
  warmUpS: number;
  /** The largest least-squares slope of anonymous RSS after the warm-up, MB per minute. */
  maxAnonSlopeMbPerMin: number;
  /** The last anonymous RSS sample may be at most (1 + this) × the one at the end of the warm-up. */
  maxAnonGrowth: number;
  /** The heap after full GC, last minute against first minute after the warm-up, may differ by this fraction. */
  maxHeapChange: number;
  /** The span, s, whose lowest heap-after-full-GC figure stands for the heap at the start and at the end. */
  heapWindowS: number;
}

export const MEMORY_LIMITS: MemoryLimits = {
  warmUpS: 120,
  maxAnonSlopeMbPerMin: 1,
  maxAnonGrowth: 0.15,
  maxHeapChange: 0.1,
  heapWindowS: 60,
};

export type Outcome = 'PASS' | 'FAIL' | 'NOT JUDGED';

export interface Verdict {
  criterion: string;
  outcome: Outcome;
  /** The measured figure, or why there is none. */
  measured: string;
}

/** A sample counts as taken at the end of the warm-up when it is at most this early (timer jitter). */
const SAMPLE_TIME_SLACK_S = 0.5;

/**
 * The least-squares slope of y over x (units of y per unit of x), NaN for fewer than two points or
 * when every x is the same.
 */
export function leastSquaresSlope(points: ReadonlyArray<{ x: number; y: number }>): number {
  if (points.length < 2) return NaN;
  const meanX = points.reduce((sum, point) => sum + point.x, 0) / points.length;
  const meanY = points.reduce((sum, point) => sum + point.y, 0) / points.length;
  let covariance = 0;
  let variance = 0;
  for (const { x, y } of points) {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  }
  return variance === 0 ? NaN : covariance / variance;
}

/** The samples from the end of the warm-up on (the first of them is the warm-up sample). */
export function afterWarmUp<T extends { atS: number }>(samples: readonly T[], warmUpS: number): T[] {
  return samples.filter((sample) => sample.atS >= warmUpS - SAMPLE_TIME_SLACK_S);
}

/** Least-squares slope of anonymous RSS after the warm-up, MB per minute (NaN with fewer than two samples). */
export function anonSlopeMbPerMin(samples: readonly AnonSample[], warmUpS: number): number {
  return leastSquaresSlope(afterWarmUp(samples, warmUpS).map((sample) => ({ x: sample.atS / 60, y: sample.anonMb })));
}

const mb = (value: number) => `${value.toFixed(1)} MB`;
const signed = (value: number, digits: number) => `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;

export function judgeAnonSlope(samples: readonly AnonSample[], limits: MemoryLimits = MEMORY_LIMITS): Verdict {
  const criterion = `anonymous RSS slope after ${limits.warmUpS} s ≤ ${limits.maxAnonSlopeMbPerMin} MB/min`;
  const judged = afterWarmUp(samples, limits.warmUpS);
  const slope = anonSlopeMbPerMin(samples, limits.warmUpS);
  if (Number.isNaN(slope)) return { criterion, outcome: 'NOT JUDGED', measured: `${judged.length} sample(s) after the warm-up, at least 2 needed` };
  return {
    criterion,
    outcome: slope <= limits.maxAnonSlopeMbPerMin ? 'PASS' : 'FAIL',
    measured: `${signed(slope, 2)} MB/min over ${judged.length} samples (${judged[0].atS.toFixed(0)}-${judged[judged.length - 1].atS.toFixed(0)} s)`,
  };
}

export function judgeAnonGrowth(samples: readonly AnonSample[], limits: MemoryLimits = MEMORY_LIMITS): Verdict {
  const criterion = `last anonymous RSS ≤ ${(1 + limits.maxAnonGrowth).toFixed(2)} × the sample at ${limits.warmUpS} s`;
  const judged = afterWarmUp(samples, limits.warmUpS);
  if (judged.length < 2) return { criterion, outcome: 'NOT JUDGED', measured: `${judged.length} sample(s) after the warm-up, at least 2 needed` };
  const first = judged[0];
  const last = judged[judged.length - 1];
  const ratio = last.anonMb / first.anonMb;
  return {
    criterion,
    outcome: ratio <= 1 + limits.maxAnonGrowth ? 'PASS' : 'FAIL',
    measured: `${mb(first.anonMb)} at ${first.atS.toFixed(0)} s → ${mb(last.anonMb)} at ${last.atS.toFixed(0)} s = ${ratio.toFixed(3)} ×`,
  };
}

/** The lowest heap after a full GC within [fromS, toS], undefined when no full GC fell in it. */
export function heapFloorMb(gcs: readonly FullGcSample[], fromS: number, toS: number): number | undefined {
  const within = gcs.filter((gc) => gc.atS >= fromS && gc.atS <= toS);
  return within.length === 0 ? undefined : Math.min(...within.map((gc) => gc.heapAfterMb));
}

/**
 * The heap after full GC, first minute after the warm-up against the last minute of the load. The
 * floor of each minute is compared: a collection that runs while many requests are in flight also
 * finds their objects alive, so the lowest figure is the one closest to what the server retains.
 */
export function judgeHeapAfterFullGc(gcs: readonly FullGcSample[], loadEndS: number, limits: MemoryLimits = MEMORY_LIMITS): Verdict {
  const criterion = `JS heap after full GC flat within ${limits.maxHeapChange * 100}% (lowest in the ${limits.heapWindowS} s after the warm-up against the last ${limits.heapWindowS} s)`;
  const startTo = limits.warmUpS + limits.heapWindowS;
  const endFrom = loadEndS - limits.heapWindowS;
  if (endFrom < startTo) {
    return { criterion, outcome: 'NOT JUDGED', measured: `the load (${loadEndS.toFixed(0)} s) is shorter than the warm-up and two ${limits.heapWindowS} s spans` };
  }
  const atStart = heapFloorMb(gcs, limits.warmUpS - SAMPLE_TIME_SLACK_S, startTo);
  const atEnd = heapFloorMb(gcs, endFrom, loadEndS);
  if (atStart === undefined || atEnd === undefined) {
    return { criterion, outcome: 'NOT JUDGED', measured: `no full GC in the ${atStart === undefined ? 'first' : 'last'} span` };
  }
  const change = atEnd / atStart - 1;
  return {
    criterion,
    outcome: Math.abs(change) <= limits.maxHeapChange ? 'PASS' : 'FAIL',
    measured: `${mb(atStart)} → ${mb(atEnd)} (${signed(change * 100, 1)}%)`,
  };
}

/** Every memory verdict, in the order the soak prints them. */
export function judgeMemory(samples: readonly AnonSample[], gcs: readonly FullGcSample[], loadEndS: number, limits: MemoryLimits = MEMORY_LIMITS): Verdict[] {
  return [judgeAnonSlope(samples, limits), judgeAnonGrowth(samples, limits), judgeHeapAfterFullGc(gcs, loadEndS, limits)];
}

/**
 * A duration as the soak's flags take it: `600`, `600s`, `10m`, `1.5m`, `2m30s`; whole seconds,
 * at least 1. Throws with the flag's name on anything else.
 */
export function parseDuration(text: string, flag: string): number {
  const match = /^(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$/.exec(text.trim());
  if (!match || (match[1] === undefined && match[2] === undefined)) {
    throw new Error(`--${flag} must be a duration such as 600, 600s, 10m or 2m30s (got ${JSON.stringify(text)})`);
  }
  const seconds = Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`--${flag} must be a whole number of seconds, at least 1 (got ${JSON.stringify(text)} = ${seconds} s)`);
  return seconds;
}

export interface SoakTimingFlags {
  duration?: string;
  /** The old spelling of --duration. */
  seconds?: string;
  warmUp: string;
  sampleEvery: string;
  rssMark: string;
}

export interface SoakTimings {
  durationS: number;
  sampleEveryS: number;
  /** When the RSS figure of the old report is taken, s into the load. */
  rssMarkS: number;
  limits: MemoryLimits;
}

/** The default length of a soak: the measured run of issue 17. */
export const DEFAULT_DURATION = '10m';

/**
 * The soak's timing flags, checked. A run shorter than the warm-up and two heap spans judges the
 * heap over shorter spans (at least 1 s), so that the criterion can be tried quickly.
 */
export function soakTimings(flags: SoakTimingFlags): SoakTimings {
  if (flags.duration !== undefined && flags.seconds !== undefined) throw new Error('give --duration or --seconds, not both');
  const durationS = flags.seconds !== undefined ? parseDuration(flags.seconds, 'seconds') : parseDuration(flags.duration ?? DEFAULT_DURATION, 'duration');
  const warmUpS = parseDuration(flags.warmUp, 'warm-up');
  const sampleEveryS = parseDuration(flags.sampleEvery, 'sample-every');
  if (sampleEveryS >= durationS) throw new Error(`--sample-every (${sampleEveryS} s) must be shorter than the run (${durationS} s)`);
  const rssMarkS = Number(flags.rssMark);
  if (!Number.isInteger(rssMarkS) || rssMarkS < 1 || rssMarkS >= durationS) {
    throw new Error(`--rss-mark must be a whole number of seconds within the run (1-${durationS - 1}; got ${JSON.stringify(flags.rssMark)})`);
  }
  const heapWindowS = Math.max(1, Math.min(MEMORY_LIMITS.heapWindowS, Math.floor((durationS - warmUpS) / 2)));
  return { durationS, sampleEveryS, rssMarkS, limits: { ...MEMORY_LIMITS, warmUpS, heapWindowS } };
}
