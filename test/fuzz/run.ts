import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/*
 * `npm run test:fuzz -- --runs N [--seed S]`: the fuzz suite alone, N cases (mocha itself refuses
 * options it does not know, hence this runner). Same as FUZZ_RUNS=N FUZZ_SEED=S on any mocha run.
 */
function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  if (index >= 0) return process.argv[index + 1];
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
}

const runs = option('runs');
const seed = option('seed');
if ((runs !== undefined && !/^[1-9]\d*$/.test(runs)) || (seed !== undefined && !/^-?\d+$/.test(seed))) {
  process.stderr.write('usage: run.js [--runs N] [--seed S]\n');
  process.exit(2);
}
const env = { ...process.env, ...(runs === undefined ? {} : { FUZZ_RUNS: runs }), ...(seed === undefined ? {} : { FUZZ_SEED: seed }) };
const mocha = require.resolve('mocha/bin/mocha.js');
const result = spawnSync(process.execPath, [mocha, '--no-config', '--enable-source-maps', '--exit', '--timeout', '0', join(__dirname, 'http-fuzz.test.js')], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
