import * as contentType from 'content-type';
import getRawBody from 'raw-body';
import type { Context } from 'koa';
import { ApiError } from '../errors';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * Reads a JSON request body: `application/json` (or a `+json` type) in UTF-8, at most `limit`
 * bytes, parsed with JSON.parse. Read straight from the stream: a generic body parser costs a
 * third of the throughput of a write here (see spec/performance-notes.md).
 */
export async function readJsonBody(ctx: Context, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const declared = ctx.request.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
  assertJsonContentType(ctx.request.headers['content-type'], ctx.state.authenticatedBy === 'bearer');
  let text: string;
  try {
    // As bytes, decoded here: raw-body's own decoding goes through iconv-lite, a measurable cost per write.
    text = (await getRawBody(ctx.req, { limit, length: declared })).toString('utf8');
  } catch (error) {
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') throw tooLarge(limit);
    throw new ApiError('invalid_json', 'Request body could not be read.');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError('invalid_json');
  }
}

/**
 * JSON, or, from a request carrying the bearer token, no Content-Type (Python's `requests` with
 * `data=`) or text/plain (fetch with a string body): the cross-site form posts that 415 keeps out
 * can send text/plain but cannot carry the token. Either way the body must then parse as JSON.
 */
function assertJsonContentType(header: string | undefined, bearer: boolean): void {
  if (!header) {
    if (bearer) return;
    throw new ApiError('unsupported_media_type', 'Request body must be application/json: set Content-Type.');
  }
  const parsed = contentType.parse(header);
  const json = parsed.type === 'application/json' || /^application\/[^/]+\+json$/.test(parsed.type);
  const charset = parsed.parameters.charset?.toLowerCase();
  if (!json && !(bearer && parsed.type === 'text/plain')) throw new ApiError('unsupported_media_type', `Request body must be application/json, not ${parsed.type}: send Content-Type: application/json.`);
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    throw new ApiError('unsupported_media_type', 'Request body must be encoded in UTF-8.');
  }
}

const tooLarge = (limit: number) => new ApiError('payload_too_large', `Request body is larger than the limit of ${limit} bytes.`);
