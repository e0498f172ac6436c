/*
 * How long the fuzz suite runs: bounded in the test command, longer on demand.
 *   FUZZ_RUNS=5000 npm test            (or: npm run test:fuzz -- --runs 5000)
 *   FUZZ_SEED=123456 npm test          (or: npm run test:fuzz -- --seed 123456) replays a run
 */

/** Cases the normal test command runs. */
export const DEFAULT_FUZZ_RUNS = 400;

const positive = (text: string | undefined) => {
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  return Number(text);
};

export function fuzzRuns(): number {
  return positive(process.env.FUZZ_RUNS) || DEFAULT_FUZZ_RUNS;
}

export function fuzzSeed(): number | undefined {
  const text = process.env.FUZZ_SEED;
  if (text === undefined || !/^-?\d+$/.test(text.trim())) return undefined;
  return Number(text);
}
