import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpCall, type HttpResponse } from '../helpers/http';
import type { TestServer } from '../helpers/server';

/** The policy every /app page must send (issue 19): no inline script, no other origin. */
export const EXPECTED_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

export const INDEX_HTML = '<!doctype html><html><head><script src="/app/app.js"></script></head><body>the app</body></html>\n';
export const APP_JS = 'console.log("the app");\n';
export const HASHED_CSS = 'body{color:red}\n';
export const HASHED_CSS_NAME = 'app-7QX4B2ZD.css';

/** A scratch directory holding a built app as the lead's esbuild step writes it (no sub-folders). */
export function fixtureUi(): { scratch: string; uiDirectory: string } {
  const scratch = mkdtempSync(join(tmpdir(), 'sessiondock-ui-'));
  const uiDirectory = join(scratch, 'ui');
  mkdirSync(uiDirectory);
  writeFileSync(join(uiDirectory, 'index.html'), INDEX_HTML);
  writeFileSync(join(uiDirectory, 'app.js'), APP_JS);
  writeFileSync(join(uiDirectory, HASHED_CSS_NAME), HASHED_CSS);
  // Beside the app, something a traversal would love to reach.
  writeFileSync(join(scratch, 'secret.txt'), 'not for the browser\n');
  return { scratch, uiDirectory };
}

/** A stand-in opener: each run appends its arguments, as one JSON line, to calls.ndjson beside it. */
export function recordingOpener(directory: string): { path: string; calls(): string[][] } {
  const path = join(directory, 'recording-opener');
  const log = join(directory, 'calls.ndjson');
  writeFileSync(path, `#!/usr/bin/env node\nrequire('node:fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`);
  chmodSync(path, 0o755);
  return { path, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as string[]) : []) };
}

/** An opener that starts and fails, as xdg-open does with no browser to hand the link to (exit 3). */
export function failingOpener(directory: string): string {
  const path = join(directory, 'failing-opener');
  writeFileSync(path, '#!/bin/sh\nexit 3\n');
  chmodSync(path, 0o755);
  return path;
}

/** A GET of a path from the server's root, not checked against the OpenAPI document (/app is not part of the API). */
export const get = (origin: string, path: string, headers: Record<string, string> = {}) => httpCall(`${origin}${path}`, 'GET', { headers });

export const codeOf = (link: string) => new URL(link).searchParams.get('code')!;

/** The `sessiondock_ui=...` pair of a Set-Cookie header: what the browser sends back. */
export function cookieOf(response: HttpResponse): string {
  const setCookie = response.headers['set-cookie'];
  assert.ok(setCookie && setCookie.length === 1, `one Set-Cookie expected, got ${JSON.stringify(setCookie)} (${response.status} ${response.text.slice(0, 200)})`);
  return setCookie[0].split(';')[0];
}

/** Signs in with a fresh login link and returns the cookie. */
export async function signIn(server: TestServer): Promise<string> {
  const response = await httpCall(server.server.loginLink(), 'GET');
  assert.equal(response.status, 303, response.text);
  return cookieOf(response);
}

export function assertPageHeaders(response: HttpResponse, what: string): void {
  assert.equal(response.headers['content-security-policy'], EXPECTED_CSP, `${what}: Content-Security-Policy`);
  assert.equal(response.headers['x-content-type-options'], 'nosniff', `${what}: X-Content-Type-Options`);
  assert.equal(response.headers['referrer-policy'], 'no-referrer', `${what}: Referrer-Policy`);
}
