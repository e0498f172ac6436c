import type { Context } from 'koa';
import { isAudioError } from '../audio/errors';
import { ApiError } from '../errors';
import type { Logger } from '../log';
import { isStoreError } from '../store';
import { sendJson } from './json';

/** The one place an error becomes a response: every failure answers with the contract's envelope. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isStoreError(error, 'STORE_WRITE_FAILED')) {
    return new ApiError('internal_error', 'The event log could not store the change; nothing was written. The server is read-only until writes work again.');
  }
  if (isStoreError(error, 'STORE_VERSION_CONFLICT')) return new ApiError('version_conflict');
  if (isAudioError(error, 'AUDIO_FILE_MISSING')) return new ApiError('not_found', 'The preview file is missing: it was moved or deleted.');
  if (isAudioError(error, 'AUDIO_FILE_UNREADABLE')) return new ApiError('not_found', 'The preview file cannot be read.');
  if (isAudioError(error)) return new ApiError('unsupported_audio', `The audio file cannot be decoded: ${error.message}.`);
  if (isStoreError(error, 'STORE_OVERLOADED')) return new ApiError('overloaded', 'Too many writes are waiting: try again shortly.', undefined, { 'Retry-After': '1' });
  if (isStoreError(error, 'STORE_CLOSED')) return new ApiError('overloaded', 'The server is shutting down.', undefined, { 'Retry-After': '1' });
  return new ApiError('internal_error');
}

export function sendError(ctx: Context, error: ApiError): void {
  ctx.status = error.status;
  ctx.set(error.headers);
  sendJson(ctx, {
    error: {
      status: error.status,
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
    },
  });
}

/**
 * Catches everything below it. Unknown routes and wrong methods, which the router leaves as a bare
 * 404 or 405/501, get the envelope too (the router has already set `Allow`).
 */
export function errorEnvelope(logger: Logger) {
  return async (ctx: Context, next: () => Promise<void>) => {
    try {
      await next();
      if (ctx.method === 'OPTIONS' && ctx.status === 200 && !ctx.body) {
        // The router's answer to OPTIONS: the Allow header alone says it all.
        ctx.status = 204;
      } else if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) sendError(ctx, new ApiError('not_found', `No route ${ctx.method} ${ctx.path}.`));
        else if (ctx.status === 405 || ctx.status === 501) sendError(ctx, new ApiError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}.`));
      }
    } catch (error) {
      const apiError = toApiError(error);
      // Only the unexpected is an error to log: 501 and 503 are answers the contract foresees.
      if (apiError.code === 'internal_error') {
        logger.log('error', 'request failed', { requestId: ctx.state.requestId, method: ctx.method, path: ctx.path, error: describe(error) });
      }
      sendError(ctx, apiError);
    }
  };
}

function describe(error: unknown): string {
  if (isStoreError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
