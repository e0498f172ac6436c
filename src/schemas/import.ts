import type { FromSchema } from 'json-schema-to-ts';
import { absolutePath, writableSessionFields } from './session';

/** §7: at most this many items per import. */
export const MAX_IMPORT_ITEMS = 10_000;

/** POST /import: the batch's defaults and its items. */
export const importBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: {
    kind: writableSessionFields.kind,
    generatePreviews: { type: 'boolean' },
    items: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_IMPORT_ITEMS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['projectPath'],
        properties: {
          projectPath: absolutePath,
          title: writableSessionFields.title,
          projectType: writableSessionFields.kind,
          previewAudioPath: absolutePath,
        },
      },
    },
  },
} as const;

export type ImportBody = FromSchema<typeof importBodySchema>;
export type ImportItem = ImportBody['items'][number];

export const importOutcomes = ['created', 'skipped', 'failed'] as const;
export type ImportOutcome = (typeof importOutcomes)[number];

/** What became of one item. */
export const importItemResultSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['index', 'projectPath', 'outcome'],
  properties: {
    index: { type: 'integer', minimum: 0 },
    projectPath: { type: 'string' },
    outcome: { enum: importOutcomes },
    sessionId: { type: 'string' },
    reason: { type: 'string' },
  },
} as const;

export type ImportItemResult = FromSchema<typeof importItemResultSchema>;

const importCounters = {
  importId: { type: 'string' },
  total: { type: 'integer', minimum: 1 },
  completed: { type: 'integer', minimum: 0 },
  failed: { type: 'integer', minimum: 0 },
  skipped: { type: 'integer', minimum: 0 },
  done: { type: 'boolean' },
  durationMs: { type: 'integer', minimum: 0 },
} as const;

/** An import's counters: what POST /import answers and GET /import lists. */
export const importSummarySchema = {
  type: 'object',
  additionalProperties: false,
  required: Object.keys(importCounters) as Array<keyof typeof importCounters>,
  properties: importCounters,
} as const;

export type ImportSummary = FromSchema<typeof importSummarySchema>;

/** GET /import/{importId}: the counters and the result of every item processed so far. */
export const importStatusSchema = {
  type: 'object',
  additionalProperties: false,
  required: [...importSummarySchema.required, 'items'],
  properties: { ...importCounters, items: { type: 'array', items: importItemResultSchema } },
} as const;
