import type { ApiErrorCode } from '../errors';

/**
 * The messages the server sends with an error code, as the OpenAPI document shows them. A part in
 * `{braces}` varies with the request (`session not found at position {at}`); a code without
 * messages sends apiErrors' one.
 */
export type ErrorDocs = { readonly [Code in ApiErrorCode]?: readonly string[] };

/** Docs with the messages of `more` added to those of `docs`, each once. */
export function mergeErrorDocs(...all: ErrorDocs[]): ErrorDocs {
  const merged: Partial<Record<ApiErrorCode, string[]>> = {};
  for (const docs of all) {
    for (const [code, messages] of Object.entries(docs) as Array<[ApiErrorCode, readonly string[]]>) {
      merged[code] = [...new Set([...(merged[code] ?? []), ...messages])];
    }
  }
  return merged;
}

/*
 * What a route can answer because of what it is (errorCodesOf in route.ts adds these by kind).
 * Written from the places that throw them: guards.ts, auth.ts, body.ts, envelope.ts, server.ts's
 * clientError, session-command.ts, validate.ts, query.ts.
 */

/** Any route: refused before routing, or failing unexpectedly. */
export const everyRouteErrors: ErrorDocs = {
  forbidden_host: [],
  forbidden_origin: [],
  // Node's parser refused the request (server.ts): any path can get it.
  invalid_request: ['The request is not valid HTTP.'],
  payload_too_large: ['Request headers are too large.'],
  method_not_allowed: ['{method} is not allowed on {path}.'],
  internal_error: [],
};

/** The token, or the web app's cookie from the app's own origin (auth.ts). */
export const tokenErrors: ErrorDocs = {
  unauthorized: [],
  forbidden_origin: ["The web app's cookie is accepted only from this server's own origin ({ownOrigin}), not {origin}."],
};

export const modeErrors: ErrorDocs = { disabled: [] };

/** A write: the log must take it. */
export const writeErrors: ErrorDocs = {
  read_only: [],
  forbidden_origin: ["A write made with the web app's cookie needs {what}."],
  overloaded: ['Too many writes are waiting: try again shortly.', 'The server is shutting down.'],
  internal_error: ['Internal server error.', 'The event log could not store the change; nothing was written. The server is read-only until writes work again.'],
};

/** A JSON body: read, parsed, then checked against the route's schema. */
export const bodyErrors: ErrorDocs = {
  invalid_json: ['Request body must be valid JSON.', 'Request body could not be read.'],
  // The first bad field, named, and what is wrong with it; `details` lists each problem.
  invalid_request: ['{field} {problem}.'],
  payload_too_large: ['Request body is larger than the limit of {limit} bytes.'],
  unsupported_media_type: [
    'Request body must be application/json, not {type}.',
    'Request body must be encoded in UTF-8.',
    'Request body must be application/json: set Content-Type.',
  ],
};

export const queryErrors: ErrorDocs = { invalid_query: ['{parameter} {problem}.'] };

/** Any route with a path parameter: an id that names nothing. */
export const pathErrors: ErrorDocs = { not_found: [] };

/*
 * What routes about one session add, spread into their rows.
 */

export const sessionNotFound: ErrorDocs = { not_found: ['session not found'] };

/** A write to a session's stream. */
export const sessionWriteErrors: ErrorDocs = mergeErrorDocs(sessionNotFound, {
  version_conflict: ["If-Match does not match the session's current version {version}.", 'The session has changed: If-Match does not match its current version.'],
  overloaded: ['Too many concurrent writes to this session: try again.'],
});

/** A route that reads a variant (`?variantId=`, else the preferred one). */
export const variantNotFound: ErrorDocs = { not_found: ['The session has no preview.', 'preview variant not found'] };

/** A route that reads a variant's file. */
export const previewFileErrors: ErrorDocs = {
  not_found: ['The preview file is missing: it was moved or deleted.', 'The preview file cannot be read.'],
  unsupported_audio: ['The audio file cannot be decoded: {reason}.'],
};

export const idempotencyErrors: ErrorDocs = {
  invalid_request: ['Idempotency-Key must be 1-255 visible ASCII characters.', 'Idempotency-Key is empty: send 1-255 visible ASCII characters, or leave the header out.'],
  idempotency_key_reused: [],
};
