/** The shape every event has once it is in the log (contract §10). */
export interface EventMeta {
  at: string;
  requestId: string;
  actor: string;
  correlationId?: string;
  causationId?: string;
  idempotencyKey?: string;
  /** With idempotencyKey: SHA-256 of the request body's canonical JSON, to tell a retry from a reuse. */
  requestHash?: string;
}

export interface StoredEvent<Data = Record<string, unknown>> {
  position: number;
  streamId: string;
  version: number;
  type: string;
  schemaVersion: number;
  data: Data;
  meta: EventMeta;
  hash: string;
}

/** What a command hands to the log: the log assigns position, version, schemaVersion and hash. */
export interface NewEvent<Data = Record<string, unknown>> {
  type: string;
  data: Data;
}

export const eventMetaSchema = {
  type: 'object',
  required: ['at', 'requestId', 'actor'],
  additionalProperties: false,
  properties: {
    at: { type: 'string', format: 'date-time' },
    requestId: { type: 'string', minLength: 1, maxLength: 128 },
    actor: { type: 'string', minLength: 1, maxLength: 64 },
    correlationId: { type: 'string', maxLength: 128 },
    causationId: { type: 'string', maxLength: 128 },
    idempotencyKey: { type: 'string', minLength: 1, maxLength: 255 },
    requestHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  },
} as const;
