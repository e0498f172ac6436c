import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredEvent } from '../../events/envelope';
import { LevelBackend } from '../../src/store';
import { verifyLog } from '../../src/store/verify';
import { httpCall } from './http';

/*
 * What every hardening test asserts after its attack: the server still answers, `/health` stays
 * within a bound measured against its own idle latency in the same test, memory stays under a
 * bound, and the log passes verify with every acknowledged write in it.
 */

export interface HealthTarget {
  baseUrl: string;
  token: string;
}

const healthOnce = async ({ baseUrl, token }: HealthTarget): Promise<number> => {
  const started = performance.now();
  const response = await httpCall(`${baseUrl}/health`, 'GET', { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200, `/health answered ${response.status}: ${response.text.slice(0, 200)}`);
  return performance.now() - started;
};

/** The slowest of `samples` sequential `/health` calls on an idle server, in ms. */
export async function idleHealthMs(target: HealthTarget, samples = 20): Promise<number> {
  await healthOnce(target);
  let slowest = 0;
  for (let i = 0; i < samples; i += 1) slowest = Math.max(slowest, await healthOnce(target));
  return slowest;
}

/**
 * Calls `/health` one after the other while `work` runs (and at least `minSamples` times), and
 * gives the slowest answer in ms. A blocked event loop shows here as a slow answer.
 */
export async function slowestHealthDuring<T>(target: HealthTarget, work: Promise<T>, minSamples = 5): Promise<{ result: T; slowestMs: number; samples: number }> {
  let done = false;
  const outcome = work.finally(() => (done = true));
  let slowestMs = 0;
  let samples = 0;
  const probing = (async () => {
    while (!done || samples < minSamples) {
      slowestMs = Math.max(slowestMs, await healthOnce(target));
      samples += 1;
    }
  })();
  const [result] = await Promise.all([outcome, probing]);
  return { result, slowestMs, samples };
}

/**
 * The bound a busy server's `/health` must meet: `factor` times its idle latency, with a floor
 * (`floorMs`) because an idle loopback answer of 1 ms times any factor is below timer noise on a
 * shared two-core machine.
 */
export function assertHealthWithin(slowestMs: number, idleMs: number, { factor = 20, floorMs = 250 } = {}): void {
  const bound = Math.max(idleMs * factor, floorMs);
  assert.ok(slowestMs <= bound, `/health took ${slowestMs.toFixed(1)} ms under attack; the bound is ${bound.toFixed(1)} ms (idle ${idleMs.toFixed(1)} ms)`);
}

/** Resident memory of a process in bytes: this one's, or another's from /proc (Linux). */
export function rssBytes(pid = process.pid): number {
  if (pid === process.pid) return process.memoryUsage().rss;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  assert.ok(kb, `no VmRSS for process ${pid}`);
  return Number(kb[1]) * 1024;
}

export function assertMemoryUnder(bytes: number, boundMb: number, what: string): void {
  assert.ok(bytes <= boundMb * 1024 * 1024, `${what}: ${(bytes / 1024 / 1024).toFixed(0)} MB, bound ${boundMb} MB`);
}

/**
 * Opens the stopped server's log and checks it: the chain verifies, and every acknowledged
 * session id has its SessionCreated in it. Gives the events, for further checks.
 */
export async function assertLogKeeps(dataDir: string, acknowledgedSessionIds: readonly string[]): Promise<StoredEvent[]> {
  const backend = new LevelBackend(join(dataDir, 'log'));
  await backend.load();
  try {
    const result = await verifyLog(backend);
    assert.ok(result.ok, `verify failed: ${JSON.stringify(result)}`);
    const events: StoredEvent[] = [];
    for await (const page of backend.readPages(0)) for (const record of page) events.push(JSON.parse(record) as StoredEvent);
    const created = new Set(events.filter((event) => event.type === 'SessionCreated').map((event) => event.streamId));
    const lost = acknowledgedSessionIds.filter((id) => !created.has(id));
    assert.deepEqual(lost, [], `acknowledged sessions missing from the log`);
    return events;
  } finally {
    await backend.close();
  }
}

/** The inodes of the files that hold a POSIX lock right now (Linux's /proc/locks); null elsewhere. */
export function lockedInodes(): Set<number> | null {
  if (!existsSync('/proc/locks')) return null;
  const inodes = readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .map((line) => /\S+:\S+:(\d+) /.exec(line)?.[1])
    .filter((inode): inode is string => inode !== undefined);
  return new Set(inodes.map(Number));
}
