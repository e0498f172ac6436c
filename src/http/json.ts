import type { Context } from 'koa';
import { setTextBody } from './response-body';

/**
 * Sets a JSON response body, serialised here. Given an object, Koa first asks whether it is a web
 * ReadableStream, Blob or Response, and the first such question makes Node load its fetch
 * implementation: about 50 ms that the first request after a start would wait for. A string is
 * asked none of them.
 */
export function sendJson(ctx: Context, value: unknown): void {
  ctx.type = 'application/json';
  setTextBody(ctx, JSON.stringify(value));
}
