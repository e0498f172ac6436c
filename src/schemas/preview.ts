import type { FromSchema } from 'json-schema-to-ts';

/*
 * Preview variants (contract §6), written once: the events, the attach body and the resources are
 * built from these.
 */

/** A variant's id is at most this long. */
export const MAX_VARIANT_ID_CHARS = 64;
/** A variant's id: a slug such as `preview_main`; it never reaches the file system. */
export const previewVariantId = { type: 'string', pattern: `^[A-Za-z0-9][A-Za-z0-9_-]{0,${MAX_VARIANT_ID_CHARS - 1}}$` } as const;
/** What a client is told when an id breaks previewVariantId's pattern. */
export const previewVariantIdMessage = `must be 1-${MAX_VARIANT_ID_CHARS} letters, digits, _ or -, starting with a letter or digit`;

export const previewStatuses = ['ready', 'pending', 'failed'] as const;

/** A variant as sessions and the preview route show it. */
export const previewVariantSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'path', 'status'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    path: { type: 'string' },
    status: { enum: previewStatuses },
  },
} as const;

export type PreviewVariant = FromSchema<typeof previewVariantSchema>;
export type PreviewStatus = PreviewVariant['status'];

/** The preview fields of a session (§5.1, §6), also the `data` of GET /sessions/{id}/preview with the session's id. */
export const previewFields = {
  previewStatus: { enum: ['none', ...previewStatuses] },
  previewUrl: { type: 'string' },
  previewAudioUrl: { anyOf: [{ type: 'string' }, { type: 'null' }] },
  previewAudioMime: { anyOf: [{ type: 'string' }, { type: 'null' }] },
  preferredPreviewId: { anyOf: [{ type: 'string' }, { type: 'null' }] },
  previews: { type: 'array', items: previewVariantSchema },
} as const;

export const previewSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', ...(Object.keys(previewFields) as Array<keyof typeof previewFields>)],
  properties: { id: { type: 'string' }, ...previewFields },
} as const;

export type Preview = FromSchema<typeof previewSchema>;
