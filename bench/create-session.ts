/**
 * Durable create throughput: our server (POST /api/v1/sessions through the full stack) against a
 * bare baseline (bench/baseline-server.ts: Koa + compiled ajv + group-committed synced `level`
 * batch + 201), measured interleaved because absolute numbers swing ±30% between runs here.
 *
 *   npm run bench [-- --runs N --duration S --warmup S --connections C --cpu-prof DIR]
 *
 * Each run starts a FRESH server child process (node, 127.0.0.1, port 0) with its own empty temp
 * data dir, which is removed when the run ends; runs go ours, baseline, ours, baseline, ...
 * The load generator (autocannon) runs in this process, so it never shares a server's event loop.
 * With --cpu-prof DIR, both servers run under `node --cpu-prof` and write DIR/<server>-run<N>.cpuprofile
 * (summarise them with `node dist/bench/cpuprofile-summary.js DIR/ours-run1.cpuprofile`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

type Autocannon = typeof import('autocannon');
type AutocannonResult = import('autocannon').Result;
type AutocannonInstance = import('autocannon').Instance;

const BODY = JSON.stringify({ title: 'New idea', kind: 'Ableton', status: 'draft', tags: ['ideas', 'writing'] });
const TARGET_RPS_RATIO = 0.7;
const TARGET_P99_RATIO = 4;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

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

interface Child {
  name: string;
  process: ChildProcess;
  dataDir: string;
  stderr: string;
}

// ---- everything this process started, so it can all be cleaned up on any exit path ----
const children = new Set<Child>();
const tempDirs = new Set<string>();
let currentLoad: AutocannonInstance | null = null;
let interrupted = false;

function removeTempDirs(): void {
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
    tempDirs.delete(dir);
  }
}

/** Last resort, synchronous: SIGKILL whatever is still running (only our own children, by pid). */
function killAllNow(): void {
  for (const child of children) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  }
  children.clear();
}

process.on('exit', () => {
  killAllNow();
  removeTempDirs();
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping the load and the servers\n`);
    currentLoad?.stop();
    Promise.allSettled([...children].map(stopChild)).finally(() => {
      removeTempDirs();
      process.exit(130);
    });
  });
}

// ---- locating the project and its build ----

/** The project root: the first directory, from the cwd then from this file upwards, with package.json "sessiondock" and bin/sessiondock.js. */
function findProjectRoot(): string {
  for (const start of [process.cwd(), __dirname]) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const pkg = join(dir, 'package.json');
      if (existsSync(pkg) && existsSync(join(dir, 'bin', 'sessiondock.js'))) {
        try {
          if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'sessiondock') return dir;
        } catch {
          // not ours; keep walking
        }
      }
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error('cannot find the sessiondock project root (package.json + bin/sessiondock.js) from the cwd or the script');
}

function* tsFiles(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/** The files bin/sessiondock.js runs (dist/{src,events,projections}) exist and are newer than their sources. */
function staleBuild(root: string): string | null {
  if (!existsSync(join(root, 'dist', 'src', 'cli', 'main.js'))) return 'dist/src/cli/main.js is missing';
  for (const top of ['src', 'events', 'projections']) {
    for (const source of tsFiles(join(root, top))) {
      const built = join(root, 'dist', relative(root, source)).replace(/\.ts$/, '.js');
      if (!existsSync(built)) return `${relative(root, built)} is missing`;
      if (statSync(built).mtimeMs < statSync(source).mtimeMs) return `${relative(root, built)} is older than its source`;
    }
  }
  return null;
}

function ensureServerBuild(root: string): void {
  const why = staleBuild(root);
  if (!why) return;
  process.stdout.write(`our server's build is stale (${why}): running tsc -p . in ${root}\n`);
  try {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: root, stdio: 'inherit' });
  } catch {
    if (!existsSync(join(root, 'dist', 'src', 'cli', 'main.js'))) throw new Error('tsc failed and there is no built server to run');
    process.stdout.write('tsc reported errors (someone may be mid-edit); tsc still emitted, continuing with what is in dist/\n');
  }
}

// ---- child processes ----

/** The environment for children: no SESSIONDOCK_* settings leak in from the caller. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('SESSIONDOCK_')) env[key] = value;
  return { ...env, ...extra };
}

function startChild(name: string, nodeArgs: string[], dataDir: string, env: NodeJS.ProcessEnv, cwd: string): Promise<{ child: Child; baseUrl: string }> {
  const proc = spawn(process.execPath, nodeArgs, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const child: Child = { name, process: proc, dataDir, stderr: '' };
  children.add(child);
  proc.stderr!.setEncoding('utf8').on('data', (text: string) => {
    child.stderr = (child.stderr + text).slice(-4000);
  });
  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`${name} did not start listening within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    proc.once('error', fail);
    proc.once('exit', (code, signal) => fail(new Error(`${name} exited (${code ?? signal}) before listening:\n${stdout}${child.stderr}`)));
    proc.stdout!.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      const match = /listening on (http:\/\/127\.0\.0\.1:(\d+)\/api\/v1)\b/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, baseUrl: match[1] });
      }
    });
  });
}

/** SIGTERM (a clean close, so --cpu-prof writes its profile), SIGKILL if it does not exit in time. */
function stopChild(child: Child): Promise<void> {
  const proc = child.process;
  if (proc.exitCode !== null || proc.signalCode !== null) {
    children.delete(child);
    return Promise.resolve();
  }
  return new Promise<void>((done) => {
    const timer = setTimeout(() => {
      process.stderr.write(`${child.name} (pid ${proc.pid}) did not exit after SIGTERM; SIGKILL\n`);
      proc.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    proc.once('exit', () => {
      clearTimeout(timer);
      children.delete(child);
      done();
    });
    proc.kill('SIGTERM');
  });
}

// ---- load ----

function load(autocannon: Autocannon, url: string, headers: Record<string, string>, connections: number, seconds: number): Promise<AutocannonResult> {
  return new Promise((resolvePromise, reject) => {
    const instance = autocannon(
      { url, method: 'POST', headers, body: BODY, connections, duration: seconds, timeout: 10 },
      (error, result) => {
        currentLoad = null;
        if (error) reject(error);
        else resolvePromise(result);
      },
    );
    currentLoad = instance;
  });
}

const percentile = (sorted: number[], p: number) => {
  if (sorted.length === 0) return NaN;
  const rank = (sorted.length - 1) * p;
  const low = Math.floor(rank);
  return sorted[low] + (sorted[Math.ceil(rank)] - sorted[low]) * (rank - low);
};
const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 0.5);

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
  const projectRequire = createRequire(join(root, 'package.json'));
  const autocannon = projectRequire('autocannon') as Autocannon;

  process.stdout.write(
    `create-session bench: ${runs} runs per server, ${connections} connections, ${warmup} s warm-up + ${duration} s measured per run; ` +
      `fresh server process and empty data dir per run; order ours, baseline, ours, baseline, ...\n` +
      `project: ${root}\nnode ${process.version}${cpuProfDir ? `; both servers run with --cpu-prof into ${cpuProfDir} (slower)` : ''}\n\n`,
  );

  const results: RunResult[] = [];
  for (let run = 1; run <= runs && !interrupted; run += 1) {
    for (const server of ['ours', 'baseline'] as const) {
      if (interrupted) break;
      const result = await benchOne(server, run);
      results.push(result);
      process.stdout.write(
        `  run ${run} ${server.padEnd(8)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  non-2xx ${result.non2xx}  (${result.total} measured + ${result.warmupTotal} warm-up responses)\n`,
      );
    }
  }
  return report(results, runs);

  async function benchOne(server: ServerName, run: number): Promise<RunResult> {
    const dataDir = mkdtempSync(join(tmpdir(), `sessiondock-bench-${server}-`));
    tempDirs.add(dataDir);
    let started: { child: Child; baseUrl: string } | undefined;
    const profile = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, '--cpu-prof-name', `${server}-run${run}.cpuprofile`] : [];
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (server === 'ours') {
        const token = execFileSync(process.execPath, [bin, 'token', '--data-dir', dataDir], { cwd: root, env: childEnv(), encoding: 'utf8' }).trim();
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
      if (!url.startsWith('http://127.0.0.1:')) throw new Error(`refusing to load ${url}: only 127.0.0.1 is a target`);

      // One request first: a wrong token or route would otherwise show up only as a column of errors.
      const probe = await fetch(url, { method: 'POST', headers, body: BODY });
      if (probe.status !== 201) throw new Error(`${server}: POST ${url} answered ${probe.status}: ${(await probe.text()).slice(0, 500)}`);
      await probe.arrayBuffer().catch(() => undefined);

      const warm = warmup > 0 ? await load(autocannon, url, headers, connections, warmup) : undefined;
      if (interrupted) throw new Error('interrupted');
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
      rmSync(dataDir, { recursive: true, force: true });
      tempDirs.delete(dataDir);
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
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => (i >= 2 && i <= 5 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(' | ')} |`;
  process.stdout.write(`\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}\n\n`);

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

main().then(
  async (code) => {
    await Promise.allSettled([...children].map(stopChild));
    removeTempDirs();
    process.exit(code);
  },
  async (error: Error) => {
    process.stderr.write(`bench: ${error.stack ?? error.message}\n`);
    await Promise.allSettled([...children].map(stopChild));
    removeTempDirs();
    process.exit(1);
  },
);
