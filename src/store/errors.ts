/** Errors of the event log, as values with stable codes (in the manner of abstract-level's LEVEL_*). */
export type StoreErrorCode =
  | 'STORE_VERSION_CONFLICT' // the stream is not at the expected version
  | 'STORE_INVALID_EVENT' // an event or its meta breaks its schema
  | 'STORE_LOCKED' // another process holds the log
  | 'STORE_WRITE_FAILED' // the disk refused the batch (ENOSPC, EIO ...): nothing of it was stored
  | 'STORE_OVERLOADED' // too many appends are waiting for the next commit: try again later
  | 'STORE_CLOSED' // the log is closed or closing
  | 'STORE_CORRUPT'; // an entry the log's own indexes point to is missing

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly details: { streamId?: string; expectedVersion?: number | 'any'; actualVersion?: number } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}
