import type { FromSchema } from 'json-schema-to-ts';
import { importBodySchema, importOutcomes } from '../src/schemas/import';

/*
 * An import's stream (`import_<ULID>`): the request, one event per item outcome, and the end. The
 * sessions it creates are on their own streams; an item's session id is derived from the import
 * and the item's index, so an import resumed after a crash finds what it had already created.
 */

export const ImportRequested = {
  type: 'ImportRequested',
  schemaVersion: 1,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['kind', 'generatePreviews', 'items'],
    properties: {
      kind: { anyOf: [importBodySchema.properties.kind, { type: 'null' }] },
      generatePreviews: { type: 'boolean' },
      items: importBodySchema.properties.items,
    },
  },
} as const;

export const ImportItemProcessed = {
  type: 'ImportItemProcessed',
  schemaVersion: 1,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['index', 'outcome'],
    properties: {
      index: { type: 'integer', minimum: 0 },
      outcome: { enum: importOutcomes },
      sessionId: { type: 'string' },
      reason: { type: 'string', minLength: 1, maxLength: 500 },
    },
  },
} as const;

/** Every item has its outcome (meta.at is when the import finished). */
export const ImportFinished = {
  type: 'ImportFinished',
  schemaVersion: 1,
  schema: { type: 'object', additionalProperties: false, properties: {} },
} as const;

export type ImportRequestedData = FromSchema<typeof ImportRequested.schema>;
export type ImportItemProcessedData = FromSchema<typeof ImportItemProcessed.schema>;

export const importEvents = [ImportRequested, ImportItemProcessed, ImportFinished] as const;
