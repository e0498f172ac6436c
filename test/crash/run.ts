import { CrashTotals, describeRound, runCrashRound } from './crash-round';

/*
 * `npm run test:crash -- --rounds N [--seed S] [--stop-on-failure]`: the crash-consistency round
 * of test/crash/crash-consistency.test.ts, N times (default 200). A failed round keeps its data
 * directory and prints its problems; the run goes on unless --stop-on-failure, and exits 1 if any
 * round failed. The last line is the summary the closing note quotes.
 */

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  if (index >= 0) return process.argv[index + 1];
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
}

async function main(): Promise<number> {
  const rounds = Number(option('rounds') ?? process.env.CRASH_ROUNDS ?? 200);
  const seed = Number(option('seed') ?? process.env.CRASH_SEED ?? Date.now() % 1_000_000_007);
  const stopOnFailure = process.argv.includes('--stop-on-failure');
  if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(seed)) {
    process.stderr.write('usage: run.js --rounds N [--seed S] [--stop-on-failure]\n');
    return 2;
  }
  process.stdout.write(`crash consistency: ${rounds} rounds, first seed ${seed + 1}\n`);
  const totals = new CrashTotals();
  for (let round = 1; round <= rounds; round += 1) {
    const result = await runCrashRound({ round, seed: seed + round, keepFailedDataDir: true, log: (line) => process.stdout.write(`${line}\n`) });
    totals.add(result);
    process.stdout.write(`${describeRound(result)}\n`);
    if (result.problems.length > 0) {
      for (const problem of result.problems) process.stdout.write(`  PROBLEM: ${problem}\n`);
      process.stdout.write(`  data directory kept: ${result.dataDir}\n`);
      if (stopOnFailure) break;
    }
    if (round % 25 === 0 && round < rounds) process.stdout.write(`after ${round}: ${totals.summary()}\n`);
  }
  process.stdout.write(`${totals.summary()}\n`);
  return totals.failedRounds > 0 || totals.found !== totals.acknowledged ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  },
);
