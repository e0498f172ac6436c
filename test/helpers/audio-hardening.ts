import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTokenFile } from '../../src/token';
import { eventually } from './eventually';
import { rssBytes } from './hardening';
import { httpCall, type HttpResponse } from './http';
import { startServerProcess, type ServerProcess } from './process';

/** A `sessiondock serve` child process on a data dir, with the token and a JSON API caller. */
export interface AudioServer {
  process: ServerProcess;
  baseUrl: string;
  token: string;
  api(method: string, path: string, json?: unknown): Promise<HttpResponse>;
}

/** Writes `settings` to <data-dir>/config.json and starts a server process on the dir. */
export async function startAudioServer(dataDir: string, settings: Record<string, unknown> = {}): Promise<AudioServer> {
  writeFileSync(join(dataDir, 'config.json'), JSON.stringify(settings));
  const child = await startServerProcess(['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir]);
  const token = readTokenFile(join(dataDir, 'token'));
  return {
    process: child,
    baseUrl: child.baseUrl,
    token,
    api: (method, path, json) => httpCall(`${child.baseUrl}${path}`, method, { headers: { Authorization: `Bearer ${token}` }, ...(json === undefined ? {} : { json }) }),
  };
}

export async function createSession(server: AudioServer, title: string): Promise<string> {
  const created = await server.api('POST', '/sessions', { title });
  assert.equal(created.status, 201, created.text);
  return created.body.data.id as string;
}

/** Attaches `path` to the session: the new variant's id. */
export async function attach(server: AudioServer, sessionId: string, path: string): Promise<string> {
  const response = await server.api('POST', `/sessions/${sessionId}/previews`, { path });
  assert.equal(response.status, 201, response.text);
  const variants = response.body.data.previews as Array<{ id: string; path: string }>;
  return variants.find((variant) => variant.path === path)!.id;
}

export async function variantStatus(server: AudioServer, sessionId: string, variantId: string): Promise<string> {
  const response = await server.api('GET', `/sessions/${sessionId}/preview`);
  assert.equal(response.status, 200, response.text);
  return (response.body.data.previews as Array<{ id: string; status: string }>).find((variant) => variant.id === variantId)!.status;
}

/** Waits until the variant is no longer pending; gives its status. */
export function settledStatus(server: AudioServer, sessionId: string, variantId: string, deadlineMs = 20_000): Promise<string> {
  return eventually(() => variantStatus(server, sessionId, variantId), (status) => status !== 'pending', `variant ${variantId} settling`, deadlineMs);
}

/** The reasons recorded by PreviewFailed events of a session, by variant id. */
export async function failureReasons(server: AudioServer, sessionId: string): Promise<Record<string, string>> {
  const response = await server.api('GET', `/events?type=PreviewFailed&sessionId=${sessionId}&limit=100`);
  assert.equal(response.status, 200, response.text);
  return Object.fromEntries((response.body.data as Array<{ data: { variantId: string; reason: string } }>).map((event) => [event.data.variantId, event.data.reason]));
}

/** Samples a child's resident memory every 20 ms while `work` runs: the highest seen, in bytes. */
export async function peakRssDuring<T>(pid: number, work: Promise<T>): Promise<{ result: T; peakBytes: number }> {
  let peakBytes = rssBytes(pid);
  let done = false;
  const sampling = (async () => {
    while (!done) {
      try {
        peakBytes = Math.max(peakBytes, rssBytes(pid));
      } catch {
        return; // the process is gone: the caller's assertions say so
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    return { result: await work, peakBytes };
  } finally {
    done = true;
    await sampling;
  }
}

/** Sends SIGTERM and gives how long the process took to exit, and its exit code. */
export async function timedStop(server: AudioServer): Promise<{ ms: number; code: number | null }> {
  const started = Date.now();
  const code = await server.process.stop('SIGTERM');
  return { ms: Date.now() - started, code };
}
