import assert from 'node:assert/strict';
import type { HttpResponse } from './http';

/** The contract's error envelope, exactly: {error: {status, code, message}}, plus details on invalid_request. */
export function assertError(response: HttpResponse, status: number, code: string, message?: string | RegExp): void {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status} ${response.text}`);
  assert.match(String(response.headers['content-type']), /^application\/json;\s*charset=utf-8$/i);
  assert.notEqual(response.body, undefined, `not JSON: ${response.text}`);
  assert.deepEqual(Object.keys(response.body), ['error']);
  const { error } = response.body;
  const keys = code === 'invalid_request' ? ['code', 'details', 'message', 'status'] : ['code', 'message', 'status'];
  assert.deepEqual(Object.keys(error).sort(), keys);
  assert.equal(error.status, status);
  assert.equal(error.code, code);
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 0);
  if (typeof message === 'string') assert.equal(error.message, message);
  else if (message) assert.match(error.message, message);
}
