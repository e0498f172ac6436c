import assert from 'node:assert/strict';
import { httpCall } from './http';
import { rssBytes, type HealthTarget } from './hardening';

/*
 * What the import and history hardening suites watch while an attack runs, beside
 * slowestHealthDuring: the distribution of /health latencies (for a percentile bound) and the
 * peak resident memory of the server process.
 */

/** `/health` latencies in ms, one call after another, until `until` settles (at least `minSamples`). */
export async function healthLatenciesUntil(target: HealthTarget, until: Promise<unknown>, minSamples = 5): Promise<number[]> {
  let done = false;
  until.then(
    () => (done = true),
    () => (done = true),
  );
  const latencies: number[] = [];
  while (!done || latencies.length < minSamples) {
    const started = performance.now();
    const response = await httpCall(`${target.baseUrl}/health`, 'GET', { headers: { Authorization: `Bearer ${target.token}` } });
    assert.equal(response.status, 200, `/health answered ${response.status}: ${response.text.slice(0, 200)}`);
    latencies.push(performance.now() - started);
  }
  return latencies;
}

/** The `fraction` percentile (0.99 for p99) of `values`, nearest rank. */
export function percentile(values: readonly number[], fraction: number): number {
  assert.ok(values.length > 0, 'no samples');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

/** The largest resident memory of process `pid`, sampled every `everyMs` until `until` settles. */
export async function peakRssUntil(pid: number, until: Promise<unknown>, everyMs = 100): Promise<number> {
  let done = false;
  until.then(
    () => (done = true),
    () => (done = true),
  );
  let peak = rssBytes(pid);
  while (!done) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    peak = Math.max(peak, rssBytes(pid));
  }
  return peak;
}
