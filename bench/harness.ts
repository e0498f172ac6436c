/**
 * What the benchmarks share: finding the project and making sure its server is built, starting and
 * stopping server child processes, temp dirs, autocannon runs, percentiles and table printing.
 *
 * Importing this module installs the exit and signal handlers: whatever a bench started (its child
 * processes, by pid, and its temp dirs) is stopped and removed on every exit path, a normal end, an
 * error, an uncaught exception or SIGINT/SIGTERM.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

export type Autocannon = typeof import('autocannon');
export type AutocannonResult = import('autocannon').Result;
export type AutocannonInstance = import('autocannon').Instance;
export type AutocannonOptions = import('autocannon').Options;

export const START_TIMEOUT_MS = 30_000;
export const STOP_TIMEOUT_MS = 15_000;

export interface Child {
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
/** Extra synchronous clean-up steps (e.g. a store a bench holds open), run before the temp dirs go. */
const cleanups = new Set<() => void | Promise<void>>();

/** True once SIGINT/SIGTERM arrived: a bench stops starting new work. */
export const isInterrupted = () => interrupted;

/** A fresh temp dir, removed on every exit path (or earlier with removeTempDir). */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // best effort
  }
  tempDirs.delete(dir);
}

function removeTempDirs(): void {
  for (const dir of [...tempDirs]) removeTempDir(dir);
}

/** Registers an asynchronous clean-up (run on a signal or at the end of runMain); returns its remover. */
export function onCleanup(step: () => void | Promise<void>): () => void {
  cleanups.add(step);
  return () => cleanups.delete(step);
}

async function runCleanups(): Promise<void> {
  const steps = [...cleanups];
  cleanups.clear();
  await Promise.allSettled(steps.map(async (step) => step()));
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
    Promise.allSettled([...[...children].map(stopChild), runCleanups()]).finally(() => {
      removeTempDirs();
      process.exit(130);
    });
  });
}

/**
 * Runs a bench's main and exits with its code: every child is stopped, every clean-up run and every
 * temp dir removed first, also when main throws.
 */
export function runMain(name: string, main: () => Promise<number>): void {
  const finish = async (code: number) => {
    await Promise.allSettled([...[...children].map(stopChild), runCleanups()]);
    removeTempDirs();
    process.exit(code);
  };
  main().then(finish, (error: Error) => {
    process.stderr.write(`${name}: ${error.stack ?? error.message}\n`);
    return finish(1);
  });
}

// ---- locating the project and its build ----

/** The project root: the first directory, from the cwd then from this file upwards, with package.json "sessiondock" and bin/sessiondock.js. */
export function findProjectRoot(): string {
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
      // The web app (src/ui) is bundled by esbuild into dist/ui, not compiled file by file.
      if (relative(root, source).startsWith(join('src', 'ui'))) continue;
      const built = join(root, 'dist', relative(root, source)).replace(/\.ts$/, '.js');
      if (!existsSync(built)) return `${relative(root, built)} is missing`;
      if (statSync(built).mtimeMs < statSync(source).mtimeMs) return `${relative(root, built)} is older than its source`;
    }
  }
  return null;
}

/** Runs `tsc -p .` in the project when the server's build is missing or older than its sources. */
export function ensureServerBuild(root: string): void {
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

/** A require() that resolves packages from the project, wherever the bench was compiled to. */
export const projectRequire = (root: string) => createRequire(join(root, 'package.json'));

export const loadAutocannon = (root: string) => projectRequire(root)('autocannon') as Autocannon;

// ---- child processes ----

/** The environment for children: no SESSIONDOCK_* settings leak in from the caller. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('SESSIONDOCK_')) env[key] = value;
  return { ...env, ...extra };
}

/** The server's token for a data dir (`sessiondock token`, which creates it if need be). */
export function tokenFor(root: string, dataDir: string): string {
  return execFileSync(process.execPath, [join(root, 'bin', 'sessiondock.js'), 'token', '--data-dir', dataDir], { cwd: root, env: childEnv(), encoding: 'utf8' }).trim();
}

/** Spawns `node ...nodeArgs` and resolves once it prints `listening on http://127.0.0.1:PORT/api/v1`. */
export function startChild(name: string, nodeArgs: string[], dataDir: string, env: NodeJS.ProcessEnv, cwd: string, startTimeoutMs = START_TIMEOUT_MS): Promise<{ child: Child; baseUrl: string }> {
  const proc = spawn(process.execPath, nodeArgs, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const child: Child = { name, process: proc, dataDir, stderr: '' };
  children.add(child);
  proc.stderr!.setEncoding('utf8').on('data', (text: string) => {
    child.stderr = (child.stderr + text).slice(-4000);
  });
  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    let listening = false;
    const timer = setTimeout(() => fail(new Error(`${name} did not start listening within ${startTimeoutMs} ms`)), startTimeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    proc.once('error', fail);
    proc.once('exit', (code, signal) => fail(new Error(`${name} exited (${code ?? signal}) before listening:\n${stdout}${child.stderr}`)));
    proc.stdout!.setEncoding('utf8').on('data', (text: string) => {
      if (listening) return;
      stdout += text;
      const match = /listening on (http:\/\/127\.0\.0\.1:(\d+)\/api\/v1)\b/.exec(stdout);
      if (match) {
        listening = true;
        clearTimeout(timer);
        resolvePromise({ child, baseUrl: match[1] });
      }
    });
  });
}

/** SIGTERM (a clean close, so --cpu-prof writes its profile), SIGKILL if it does not exit in time. */
export function stopChild(child: Child): Promise<void> {
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

/** Refuses anything but loopback 127.0.0.1: the benches never load another host. */
export function assertLoopback(url: string): void {
  if (!url.startsWith('http://127.0.0.1:')) throw new Error(`refusing to load ${url}: only 127.0.0.1 is a target`);
}

// ---- load ----

/**
 * One autocannon run (stopped on SIGINT/SIGTERM). `onResponse` sees every response with its
 * latency in ms as a float: autocannon's own histogram keeps whole milliseconds only.
 */
export function runLoad(
  autocannon: Autocannon,
  options: AutocannonOptions,
  onResponse?: (statusCode: number, latencyMs: number) => void,
): Promise<AutocannonResult> {
  assertLoopback(String(options.url));
  return new Promise((resolvePromise, reject) => {
    const instance = autocannon({ timeout: 10, ...options }, (error, result) => {
      currentLoad = null;
      if (error) reject(error);
      else resolvePromise(result);
    });
    if (onResponse) {
      instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => onResponse(statusCode, responseTime));
    }
    currentLoad = instance;
  });
}

// ---- statistics and printing ----

/** Linear-interpolated percentile of an ascending array (p in 0..1). */
export const percentile = (sorted: readonly number[], p: number) => {
  if (sorted.length === 0) return NaN;
  const rank = (sorted.length - 1) * p;
  const low = Math.floor(rank);
  return sorted[low] + (sorted[Math.ceil(rank)] - sorted[low]) * (rank - low);
};
export const median = (values: readonly number[]) => percentile([...values].sort((a, b) => a - b), 0.5);

/** A Markdown table: `numeric` columns are right-aligned. */
export function formatTable(header: string[], rows: string[][], numeric: (column: number) => boolean): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => (numeric(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(' | ')} |`;
  return `${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}\n`;
}

/** Resident set size and its peak of a process, in MB, from /proc/<pid>/status (Linux). */
/** utime + stime of a process in ms (Linux; clock ticks of 10 ms). */
export function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

export interface Memory {
  rssMb: number;
  peakMb: number;
  anonMb: number;
  fileMb: number;
}

/**
 * A process's resident memory: all of it, its peak, and the two parts: anonymous (JS heap,
 * malloc, stacks) and file-backed (the node binary and libraries, files mapped such as LevelDB's
 * tables, pages the kernel can drop and read again).
 */
export function memoryOf(pid: number): Memory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024, anonMb: kb('RssAnon') / 1024, fileMb: kb('RssFile') / 1024 };
  } catch {
    return null;
  }
}

/** Where a process's anonymous memory lies, MB (from /proc/PID/smaps). */
export interface AnonSplit {
  /** The brk heap: glibc's main malloc arena (the main thread's small allocations). */
  brkMb: number;
  /** glibc's per-thread arenas: 64 MiB-aligned reservations of 64 MiB (the thread pool's and LevelDB's threads). */
  threadArenasMb: number;
  /** Every other anonymous mapping: V8's heap pages, large mallocs (own mmaps), stacks. */
  otherMb: number;
}

const ARENA_BYTES = 64 * 1024 * 1024;

/** The anonymous memory of `pid` by where it lies (null when smaps cannot be read). */
export function anonSplitOf(pid: number): AnonSplit | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return null;
  }
  const mappings: Array<{ start: number; end: number; perms: string; path: string; anonKb: number }> = [];
  for (const line of text.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) mappings.push({ start: parseInt(header[1], 16), end: parseInt(header[2], 16), perms: header[3], path: header[4].trim(), anonKb: 0 });
    else if (line.startsWith('Anonymous:') && mappings.length > 0) mappings[mappings.length - 1].anonKb = Number(/(\d+)/.exec(line)![1]);
  }
  const split: AnonSplit = { brkMb: 0, threadArenasMb: 0, otherMb: 0 };
  mappings.forEach((mapping, index) => {
    const mb = mapping.anonKb / 1024;
    if (mb === 0) return;
    if (mapping.path === '[heap]') {
      split.brkMb += mb;
      return;
    }
    const next = mappings[index + 1];
    const reserved = mapping.end - mapping.start + (next !== undefined && next.start === mapping.end && next.perms.startsWith('---') && next.path === '' ? next.end - next.start : 0);
    if (mapping.path === '' && mapping.start % ARENA_BYTES === 0 && reserved === ARENA_BYTES) split.threadArenasMb += mb;
    else split.otherMb += mb;
  });
  return split;
}

/**
 * Resident MB of the files `pid` has mapped whose names end with `suffix`, from /proc/PID/smaps
 * (LevelDB maps its tables to read them: `.ldb`). Too costly to read every second.
 */
export function mappedResidentMb(pid: number, suffix: string): number {
  try {
    let kb = 0;
    let counting = false;
    for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
      if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) counting = line.trimEnd().endsWith(suffix);
      else if (counting && line.startsWith('Rss:')) kb += Number(/(\d+)/.exec(line)![1]);
    }
    return kb / 1024;
  } catch {
    return NaN;
  }
}
