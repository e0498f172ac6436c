/** Every error the API answers with (contract §4): code → HTTP status and the message clients see. */
export const apiErrors = {
  invalid_json: { status: 400, message: 'Request body must be valid JSON.' },
  invalid_request: { status: 400, message: 'Request body is invalid.' },
  invalid_query: { status: 400, message: 'A query parameter is invalid.' },
  open_failed: { status: 400, message: 'Session project path is unavailable.' },
  focus_failed: { status: 400, message: 'main window unavailable' },
  unauthorized: { status: 401, message: 'Provide Authorization: Bearer <token>.' },
  read_only: { status: 403, message: 'Enable Full Automation to perform this action.' },
  disabled: { status: 403, message: 'The Local API is disabled.' },
  forbidden_host: { status: 403, message: 'This Host is not allowed: use 127.0.0.1, localhost or [::1].' },
  forbidden_origin: { status: 403, message: 'This Origin is not allowed.' },
  not_found: { status: 404, message: 'Not found.' },
  method_not_allowed: { status: 405, message: 'Method not allowed.' },
  conflict: { status: 409, message: 'Conflict.' },
  version_conflict: { status: 412, message: 'The session has changed: If-Match does not match its current version.' },
  payload_too_large: { status: 413, message: 'Request body is too large.' },
  unsupported_media_type: { status: 415, message: 'Request body must be application/json.' },
  range_not_satisfiable: { status: 416, message: 'Range not satisfiable.' },
  unsupported_audio: { status: 422, message: 'The audio file cannot be decoded.' },
  idempotency_key_reused: { status: 422, message: 'This Idempotency-Key was used with a different request body.' },
  internal_error: { status: 500, message: 'Internal server error.' },
  open_unavailable: { status: 501, message: 'No opener is available.' },
  focus_unavailable: { status: 501, message: 'No client is connected and no opener is available to start the web app.' },
  overloaded: { status: 503, message: 'The server is overloaded: try again later.' },
} as const;

export type ApiErrorCode = keyof typeof apiErrors;

export interface FieldProblem {
  field: string;
  message: string;
}

/** An error the API answers with: a stable code, its status, a message and, for bodies, details. */
export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ApiErrorCode,
    message: string = apiErrors[code].message,
    readonly details?: FieldProblem[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = apiErrors[code].status;
  }
}
