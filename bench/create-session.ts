/**
 * Durable create throughput: our server (POST /api/v1/sessions through the full stack) against a
 * bare baseline (bench/baseline-server.ts: Koa + compiled ajv + group-committed synced `level`
 * batch + 201), measured interleaved because absolute numbers swing ±30% between runs here.
 *
 *   node dist/bench/create-session.js [--runs N --duration S --warmup S --connections C --cpu-prof DIR]
 *
 * (`npm run bench` builds, then runs this and bench/list-sessions.ts in turn with their defaults.)
 *
 * Each run starts a FRESH server child process (node, 127.0.0.1, port 0) with its own empty temp
 * data dir, which is removed when the run ends; runs go ours, baseline, ours, baseline, ...
 * The load generator (autocannon) runs in this process, so it never shares a server's event loop.
 * With --cpu-prof DIR, both servers run under `node --cpu-prof` and write DIR/<server>-run<N>.cpuprofile
 * (summarise them with `node dist/bench/cpuprofile-summary.js DIR/ours-run1.cpuprofile`).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  assertLoopback,
  childEnv,
  ensureServerBuild,
  findProjectRoot,
  formatTable,
  isInterrupted,
  loadAutocannon,
  makeTempDir,
  median,
  removeTempDir,
  runLoad,
  runMain,
  startChild,
  stopChild,
  tokenFor,
  type Autocannon,
  type AutocannonResult,
  type Child,
} from './harness';

const BODY = JSON.stringify({ title: 'New idea', kind: 'Ableton', status: 'draft', tags: ['ideas', 'writing'] });
const TARGET_RPS_RATIO = 0.7;
const TARGET_P99_RATIO = 4;

type ServerName = 'ours' | 'baseline';

interface RunResult {
  run: number;
  server: ServerName;
  rps: number;
  p50: number;
  p99: number;
  total: number;
  /** Responses during the warm-up (not measured; useful to turn a CPU profile into per-request costs). */
  warmupTotal: number;
  non2xx: number;
  non201: number;
  errors: number;
  timeouts: number;
  statusCodes: string;
}

function load(autocannon: Autocannon, url: string, headers: Record<string, string>, connections: number, seconds: number): Promise<AutocannonResult> {
  return runLoad(autocannon, { url, method: 'POST', headers, body: BODY, connections, duration: seconds, timeout: 10 });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      'cpu-prof': { type: 'string' },
    },
    strict: true,
  });
  const runs = Number(values.runs);
  const duration = Number(values.duration);
  const warmup = Number(values.warmup);
  const connections = Number(values.connections);
  for (const [name, value] of Object.entries({ runs, duration, connections })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  }
  if (!Number.isFinite(warmup) || warmup < 0) throw new Error('--warmup must be a number of seconds ≥ 0');
  const cpuProfDir = values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined;

  const root = findProjectRoot();
  ensureServerBuild(root);
  const bin = join(root, 'bin', 'sessiondock.js');
  const baselineScript = join(__dirname, 'baseline-server.js');
  if (!existsSync(baselineScript)) throw new Error(`${baselineScript} is missing: build bench/ first`);
  // Resolve packages from the project, wherever this file was compiled to.
  const autocannon = loadAutocannon(root);

  process.stdout.write(
    `create-session bench: ${runs} runs per server, ${connections} connections, ${warmup} s warm-up + ${duration} s measured per run; ` +
      `fresh server process and empty data dir per run; order ours, baseline, ours, baseline, ...\n` +
      `project: ${root}\nnode ${process.version}${cpuProfDir ? `; both servers run with --cpu-prof into ${cpuProfDir} (slower)` : ''}\n\n`,
  );

  const results: RunResult[] = [];
  for (let run = 1; run <= runs && !isInterrupted(); run += 1) {
    for (const server of ['ours', 'baseline'] as const) {
      if (isInterrupted()) break;
      const result = await benchOne(server, run);
      results.push(result);
      process.stdout.write(
        `  run ${run} ${server.padEnd(8)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  non-2xx ${result.non2xx}  (${result.total} measured + ${result.warmupTotal} warm-up responses)\n`,
      );
    }
  }
  return report(results, runs);

  async function benchOne(server: ServerName, run: number): Promise<RunResult> {
    const dataDir = makeTempDir(`sessiondock-bench-${server}-`);
    let started: { child: Child; baseUrl: string } | undefined;
    const profile = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, '--cpu-prof-name', `${server}-run${run}.cpuprofile`] : [];
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (server === 'ours') {
        const token = tokenFor(root, dataDir);
        headers.authorization = `Bearer ${token}`;
        started = await startChild(
          `ours#${run}`,
          [...profile, bin, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir],
          dataDir,
          childEnv(),
          root,
        );
      } else {
        started = await startChild(
          `baseline#${run}`,
          [...profile, baselineScript, '--port', '0', '--data-dir', dataDir],
          dataDir,
          // The compiled baseline may live outside the project (another --outDir): find packages there.
          childEnv({ NODE_PATH: join(root, 'node_modules') }),
          root,
        );
      }
      const url = `${started.baseUrl}/sessions`;
      assertLoopback(url);

      // One request first: a wrong token or route would otherwise show up only as a column of errors.
      const probe = await fetch(url, { method: 'POST', headers, body: BODY });
      if (probe.status !== 201) throw new Error(`${server}: POST ${url} answered ${probe.status}: ${(await probe.text()).slice(0, 500)}`);
      await probe.arrayBuffer().catch(() => undefined);

      const warm = warmup > 0 ? await load(autocannon, url, headers, connections, warmup) : undefined;
      if (isInterrupted()) throw new Error('interrupted');
      const result = await load(autocannon, url, headers, connections, duration);
      const codes = Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count ?? 0] as const);
      const answered = codes.reduce((sum, [, count]) => sum + count, 0);
      const created = codes.find(([code]) => code === '201')?.[1] ?? (codes.length === 0 ? result['2xx'] : 0);
      return {
        run,
        server,
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        total: result.requests.total,
        warmupTotal: warm?.requests.total ?? 0,
        non2xx: result.non2xx,
        non201: Math.max(answered, result.requests.total) - created,
        errors: result.errors,
        timeouts: result.timeouts,
        statusCodes: codes.map(([code, count]) => `${code}×${count}`).join(' '),
      };
    } finally {
      if (started) await stopChild(started.child);
      removeTempDir(dataDir);
    }
  }
}

function report(results: RunResult[], runs: number): number {
  const flagged = (r: RunResult) => r.non2xx > 0 || r.non201 > 0 || r.errors > 0 || r.timeouts > 0;
  const rows = results.map((r) => [
    String(r.run),
    r.server,
    r.rps.toFixed(0),
    r.p50.toFixed(1),
    r.p99.toFixed(1),
    String(r.non2xx),
    flagged(r) ? `ERRORS: non-201 ${r.non201}, conn errors ${r.errors}, timeouts ${r.timeouts} [${r.statusCodes}]` : `${r.total} × 201`,
  ]);
  const header = ['run #', 'server', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'check'];
  process.stdout.write(`\n${formatTable(header, rows, (i) => i >= 2 && i <= 5)}\n`);

  const pairs: Array<{ ours: RunResult; baseline: RunResult }> = [];
  for (let run = 1; run <= runs; run += 1) {
    const ours = results.find((r) => r.run === run && r.server === 'ours');
    const baseline = results.find((r) => r.run === run && r.server === 'baseline');
    if (ours && baseline) pairs.push({ ours, baseline });
  }
  if (pairs.length === 0) {
    process.stdout.write('no complete ours/baseline pair: nothing to compare\n');
    return 1;
  }
  const summarise = (label: string, of: (r: RunResult) => number) => {
    const ours = median(results.filter((r) => r.server === 'ours').map(of));
    const baseline = median(results.filter((r) => r.server === 'baseline').map(of));
    process.stdout.write(`median ${label}: ours ${ours.toFixed(1)}, baseline ${baseline.toFixed(1)}\n`);
  };
  summarise('req/s', (r) => r.rps);
  summarise('p50 ms', (r) => r.p50);
  summarise('p99 ms', (r) => r.p99);

  const rpsRatios = pairs.map(({ ours, baseline }) => ours.rps / baseline.rps);
  const p99Ratios = pairs.map(({ ours, baseline }) => ours.p99 / baseline.p99);
  const rpsRatio = median(rpsRatios);
  const p99Ratio = median(p99Ratios);
  const spread = (ratios: number[]) => `spread ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)} over ${ratios.length} pairs`;
  const rpsMet = rpsRatio >= TARGET_RPS_RATIO;
  const p99Met = p99Ratio <= TARGET_P99_RATIO;
  process.stdout.write(
    `\nmedian ratio ours/baseline req/s: ${rpsRatio.toFixed(2)} (${spread(rpsRatios)})  target ≥ ${TARGET_RPS_RATIO}: ${rpsMet ? 'met' : 'NOT MET'}\n` +
      `median ratio ours/baseline p99:   ${p99Ratio.toFixed(2)} (${spread(p99Ratios)})  target ≤ ${TARGET_P99_RATIO}: ${p99Met ? 'met' : 'NOT MET'}\n`,
  );
  const bad = results.filter(flagged);
  if (bad.length > 0) {
    process.stdout.write(`\nWARNING: ${bad.length} run(s) had non-201 responses or connection errors: ${bad.map((r) => `${r.server}#${r.run}`).join(', ')}\n`);
  }
  if (pairs.length < runs) process.stdout.write(`\nWARNING: only ${pairs.length} of ${runs} pairs completed\n`);
  return bad.length > 0 || pairs.length < runs ? 1 : 0;
}

runMain('bench', main);
