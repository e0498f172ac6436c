import { setFlagsFromString } from 'node:v8';

/**
 * How far past the live heap V8 may let the heap grow before a full collection, in percent.
 * Left to itself, V8 picks up to 4x under a high allocation rate: with 100,000 sessions (a live
 * heap of ~130 MB) a busy server then sits at 600 MB. At 50% it stays near 330 MB and, measured
 * in bench/list-sessions.ts, requests cost no more CPU. A growth factor, unlike a heap cap, can
 * never make a large catalogue run out of memory.
 */
export const HEAP_GROWTH_PERCENT = 50;

/** Applies HEAP_GROWTH_PERCENT to this process: for the process that serves, not for embedders. */
export function boundHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWTH_PERCENT}`);
}
