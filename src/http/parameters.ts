import type { ParameterDoc } from './route';
import { LIST_PAGE } from './query';

/** Query parameters and request headers several routes share, documented once. */
const integer = (minimum: number, maximum?: number) => ({ type: 'integer', minimum, ...(maximum === undefined ? {} : { maximum }) });

/** `limit` and `offset` of a list whose pages are `defaultLimit` long and at most `maxLimit`. */
export const pageParametersOf = ({ defaultLimit, maxLimit }: { defaultLimit: number; maxLimit: number }): Record<string, ParameterDoc> => ({
  limit: { description: `Page size, 1-${maxLimit} (larger values are clamped to ${maxLimit}); default ${defaultLimit}.`, schema: integer(1) },
  offset: { description: 'How many matches to skip; default 0.', schema: integer(0) },
});

export const pageParameters = pageParametersOf(LIST_PAGE);

export const variantParameter: Record<string, ParameterDoc> = {
  variantId: { description: "A preview variant's id; default: the preferred variant.", schema: { type: 'string' } },
};

export const ifMatchHeader: Record<string, ParameterDoc> = {
  'If-Match': { description: 'Write only if the session is at one of these versions (`"3"`, `W/"3"`, `3` or `*`); else 412.', schema: { type: 'string' } },
};

export const idempotencyKeyHeader: Record<string, ParameterDoc> = {
  'Idempotency-Key': {
    description: '1-255 visible ASCII characters: a retry with the same key and a JSON-equal body within 24 h replays the first response.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  },
};

export const eventFilterParameters: Record<string, ParameterDoc> = {
  type: { description: 'Only events of this type (repeatable).', schema: { type: 'string' } },
  sessionId: { description: "Only this session's events.", schema: { type: 'string' } },
};

/** Headers of a response about one session. */
export const sessionEtag = { ETag: "The session's version as an entity tag." };
