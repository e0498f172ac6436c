import type { Context } from 'koa';

/**
 * Repeated slashes in the path merged into one, as nginx's merge_slashes does (`/api/v1//sessions`:
 * a base URL with a trailing slash joined to `/sessions`). Runs before the guards, the token check
 * and the router, so every one of them sees the merged path; the query string is kept as sent.
 */
export function mergeSlashes(ctx: Context): void {
  const path = ctx.path;
  if (path.includes('//')) ctx.path = path.replace(/\/{2,}/g, '/');
}
