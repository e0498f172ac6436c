import type { Context } from 'koa';
import type { VersionPrecondition } from '../commands/session-command';

const ENTITY_TAG = /^(?:W\/)?"?(\d{1,15})"?$/;

/**
 * If-Match as a version precondition: `*`, or a list of entity tags (`"3"`, `W/"3"`, bare `3`).
 * A list with no tag we could ever have issued matches nothing, so the write gets 412; so does an
 * empty header (`If-Match: ${etag ?? ""}` must not silently drop the protection). Only a request
 * without the header has no precondition.
 */
export function ifMatch(ctx: Context): VersionPrecondition {
  const sent = ctx.request.headers['if-match'];
  if (sent === undefined) return undefined;
  const header = sent.trim();
  if (header === '*') return '*';
  return header
    .split(',')
    .map((tag) => ENTITY_TAG.exec(tag.trim()))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => Number(match[1]));
}
