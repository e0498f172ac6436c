import { apiErrors } from '../errors';
import { currentEventSchemas } from '../../events/catalogue';
import { eventMetaSchema } from '../../events/envelope';
import { MODES } from '../modes';

/*
 * The shapes responses have (contract §4, §9, §10), written once: the OpenAPI document is built
 * from these and the route table, and the API tests check every response against them.
 */

/** `{data: <schema>}`. */
export const dataOf = <const S extends object>(schema: S) =>
  ({ type: 'object', additionalProperties: false, required: ['data'], properties: { data: schema } }) as const;

const count = { type: 'integer', minimum: 0 } as const;

/** A page of a list: `{data: [...], meta: {total, limit, offset}}`. */
export const pageOf = <const S extends object>(item: S) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['data', 'meta'],
    properties: {
      data: { type: 'array', items: item },
      meta: { type: 'object', additionalProperties: false, required: ['total', 'limit', 'offset'], properties: { total: count, limit: count, offset: count } },
    },
  }) as const;

export const errorCodes = Object.keys(apiErrors);

/** The error envelope; `details` on every invalid_request. */
export const errorSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['status', 'code', 'message'],
      properties: {
        status: { type: 'integer', minimum: 400, maximum: 599 },
        code: { enum: errorCodes },
        message: { type: 'string' },
        details: {
          type: 'array',
          items: { type: 'object', additionalProperties: false, required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  },
} as const;

/** An event of one type as the audit routes and the live stream return it (§10): `data` is its type's current schema. */
const eventOfType = (type: string, data: object) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['position', 'streamId', 'version', 'type', 'schemaVersion', 'data', 'meta', 'hash'],
    properties: {
      position: { type: 'integer', minimum: 1 },
      streamId: { type: 'string' },
      version: { type: 'integer', minimum: 1 },
      type: { type: 'string', const: type },
      schemaVersion: { type: 'integer', minimum: 1 },
      data,
      meta: eventMetaSchema,
      hash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    },
  }) as const;

/** Each event type's envelope, by type, with the catalogue's data schema (the one schema per event). */
export const eventSchemasByType: ReadonlyMap<string, { event: object; data: object }> = new Map(
  currentEventSchemas.map(({ type, schema }) => [type, { event: eventOfType(type, schema), data: schema }]),
);

/** Any event: one of the types, told apart by `type`. */
export const eventSchema = { oneOf: [...eventSchemasByType.values()].map(({ event }) => event) } as const;

export const eventPageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['data', 'meta'],
  properties: {
    data: { type: 'array', items: eventSchema },
    meta: {
      type: 'object',
      additionalProperties: false,
      required: ['limit', 'next', 'head'],
      properties: { limit: count, next: { anyOf: [count, { type: 'null' }] }, head: count },
    },
  },
} as const;

const mode = { enum: MODES } as const;

export const healthSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'configuredMode', 'effectiveMode', 'running', 'port', 'baseUrl', 'docsUrl', 'requestCount', 'recentRequests', 'version', 'log', 'projections'],
  properties: {
    status: { const: 'ok' },
    configuredMode: mode,
    effectiveMode: mode,
    running: { const: true },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    baseUrl: { type: 'string' },
    docsUrl: { type: 'string' },
    requestCount: count,
    recentRequests: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['method', 'path', 'statusCode', 'at'],
        properties: { method: { type: 'string' }, path: { type: 'string' }, statusCode: { type: 'integer' }, at: { type: 'string', format: 'date-time' } },
      },
    },
    lastError: { type: 'string' },
    version: { type: 'string' },
    log: { type: 'object', additionalProperties: false, required: ['position', 'sessions'], properties: { position: count, sessions: count } },
    projections: {
      type: 'object',
      additionalProperties: { type: 'object', additionalProperties: false, required: ['position', 'lag'], properties: { position: count, lag: count } },
    },
  },
} as const;

export const tagCountSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['tag', 'count'],
  properties: { tag: { type: 'string' }, count: { type: 'integer', minimum: 1 } },
} as const;

export const deletedSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['deleted', 'id'],
  properties: { deleted: { const: true }, id: { type: 'string' } },
} as const;

/** What open and focus answer (§8). */
export const actionResultSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'opened', 'focused'],
  properties: { id: { type: 'string' }, opened: { type: 'boolean' }, focused: { type: 'boolean' } },
} as const;

export const waveformSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sessionId', 'variantId', 'durationMs', 'sampleRate', 'channels', 'points', 'peaks'],
  properties: {
    sessionId: { type: 'string' },
    variantId: { type: 'string' },
    durationMs: count,
    sampleRate: { type: 'integer', minimum: 1 },
    channels: { type: 'integer', minimum: 1 },
    points: { type: 'integer', minimum: 16, maximum: 10000 },
    peaks: { type: 'array', items: { type: 'number', minimum: 0, maximum: 1 } },
  },
} as const;
