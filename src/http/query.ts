import type { Context } from 'koa';
import { ApiError } from '../errors';

const MAX_LIMIT = 500;
const DEFAULT_LIMIT = 50;

function single(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) throw new ApiError('invalid_query', `${name} must be given once.`);
  return value;
}

function wholeNumber(ctx: Context, name: string, minimum: number): number | undefined {
  const text = single(ctx, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < minimum) {
    throw new ApiError('invalid_query', `${name} must be an integer of at least ${minimum}.`);
  }
  return Number(text);
}

/** `limit` (1-500, any larger integer clamped, default 50) and `offset` (>= 0, default 0) of contract §5.3. */
export function pageQuery(ctx: Context): { limit: number; offset: number } {
  const limit = Math.min(wholeNumber(ctx, 'limit', 1) ?? DEFAULT_LIMIT, MAX_LIMIT);
  const offset = wholeNumber(ctx, 'offset', 0) ?? 0;
  return { limit, offset };
}
