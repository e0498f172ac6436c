import type { FromSchema } from 'json-schema-to-ts';
import { previewVariantId } from '../src/schemas/preview';

/*
 * Preview events, on the session's stream: variants attached and detached, the preferred one
 * chosen, and what analysing a variant's file found. The fold (projections/session-state.ts)
 * applies the §6 rules for the preferred variant.
 */

const variant = { variantId: previewVariantId } as const;

/** An audio file registered as a variant; `mime` is the format sniffed from its header when attached. */
export const PreviewAttached = {
  type: 'PreviewAttached',
  schemaVersion: 1,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['variantId', 'name', 'path', 'mime'],
    properties: {
      ...variant,
      name: { type: 'string', minLength: 1, maxLength: 200 },
      path: { type: 'string', minLength: 1, maxLength: 4096 },
      mime: { type: 'string', minLength: 1, maxLength: 64 },
    },
  },
} as const;

export const PreviewDetached = {
  type: 'PreviewDetached',
  schemaVersion: 1,
  schema: { type: 'object', additionalProperties: false, required: ['variantId'], properties: variant },
} as const;

export const PreferredPreviewChosen = {
  type: 'PreferredPreviewChosen',
  schemaVersion: 1,
  schema: { type: 'object', additionalProperties: false, required: ['variantId'], properties: variant },
} as const;

/** The variant's file was decoded: it is ready. */
export const PreviewAnalysed = {
  type: 'PreviewAnalysed',
  schemaVersion: 1,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['variantId', 'durationMs', 'sampleRate', 'channels'],
    properties: {
      ...variant,
      durationMs: { type: 'integer', minimum: 0 },
      sampleRate: { type: 'integer', minimum: 1 },
      channels: { type: 'integer', minimum: 1 },
    },
  },
} as const;

/** The variant's file is missing, unreadable or cannot be decoded. */
export const PreviewFailed = {
  type: 'PreviewFailed',
  schemaVersion: 1,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['variantId', 'reason'],
    properties: { ...variant, reason: { type: 'string', minLength: 1, maxLength: 500 } },
  },
} as const;

export type PreviewAttachedData = FromSchema<typeof PreviewAttached.schema>;
export type PreviewVariantData = FromSchema<typeof PreviewDetached.schema>;
export type PreviewAnalysedData = FromSchema<typeof PreviewAnalysed.schema>;
export type PreviewFailedData = FromSchema<typeof PreviewFailed.schema>;

export const previewEvents = [PreviewAttached, PreviewDetached, PreferredPreviewChosen, PreviewAnalysed, PreviewFailed] as const;
