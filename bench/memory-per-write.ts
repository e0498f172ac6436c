/**
 * The JS heap a server keeps per write it has made: an in-process server (its own temp data dir,
 * 127.0.0.1, port 0) gets N creates, each deleted again (a steady catalogue), without and then
 * with an Idempotency-Key; the heap after a full GC is compared before and after each phase.
 *
 *   node --expose-gc dist/bench/memory-per-write.js [--sessions N] [--concurrency C] [--set key=value ...]
 *
 * `--set` passes a setting to the server's configuration (e.g. --set cachedStreamVersions=1000000).
 */
import { rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { startServer } from '../src/server';
import { readTokenFile } from '../src/token';
import { makeTempDir } from './harness';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '16' },
    set: { type: 'string', multiple: true, default: [] },
  },
});
const SESSIONS = Number(values.sessions);
const CONCURRENCY = Number(values.concurrency);
const settings = Object.fromEntries(values.set.map((pair) => pair.split('=')).map(([key, value]) => [key, Number.isNaN(Number(value)) ? value : Number(value)]));

const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error('run with node --expose-gc');

async function heapAfterGc(): Promise<number> {
  for (let round = 0; round < 3; round += 1) {
    collect!();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const dataDir = makeTempDir('sessiondock-memory-');
  const config = { ...loadConfig({ flags: { dataDir, port: 0, host: '127.0.0.1' }, env: {} }), ...settings };
  const server = await startServer(config, { logger: { log: () => undefined } });
  const token = readTokenFile(config.tokenFile);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const outgoing = request(
        `${server.baseUrl}${path}`,
        { method, agent, headers: { Authorization: `Bearer ${token}`, ...(payload ? { 'Content-Type': 'application/json' } : {}), ...headers } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        },
      );
      outgoing.on('error', reject);
      outgoing.end(payload);
    });

  async function createAndDelete(count: number, keyed: boolean, tag: string): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const index = next++;
        const headers: Record<string, string> = keyed ? { 'Idempotency-Key': `${tag}-${index}-${'k'.repeat(20)}` } : {};
        const created = await call('POST', '/sessions', { title: `Session ${index}`, tags: ['memory'] }, headers);
        if (created.status !== 201) throw new Error(`create answered ${created.status}: ${created.body}`);
        const { id } = (JSON.parse(created.body) as { data: { id: string } }).data;
        const deleted = await call('DELETE', `/sessions/${id}`);
        if (deleted.status !== 200) throw new Error(`delete answered ${deleted.status}: ${deleted.body}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }

  try {
    // A first round so that code, caches and pools are warm before anything is measured.
    await createAndDelete(2000, true, 'warm');
    const rows: string[] = [];
    for (const keyed of [false, true]) {
      const before = await heapAfterGc();
      const started = performance.now();
      await createAndDelete(SESSIONS, keyed, keyed ? 'keyed' : 'plain');
      const seconds = (performance.now() - started) / 1000;
      const after = await heapAfterGc();
      rows.push(
        `${keyed ? 'with Idempotency-Key' : 'without a key       '} | ${SESSIONS} created and deleted in ${seconds.toFixed(1)} s | heap after GC ${(before / 2 ** 20).toFixed(1)} -> ${(after / 2 ** 20).toFixed(1)} MB | ${Math.round((after - before) / SESSIONS)} B per session`,
      );
    }
    process.stdout.write(`settings: ${JSON.stringify(settings)}\n${rows.join('\n')}\n`);
  } finally {
    agent.destroy();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
