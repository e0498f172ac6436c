import type { ParameterDoc } from './route';
import { currentEventSchemas } from '../../events/catalogue';
import { LIST_PAGE } from './query';
import { TRANSIENT_TYPES } from './event-filter';

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
  'If-Match': {
    description: 'Write only if the session is at one of these versions (`"3"`, `W/"3"`, `3` or `*`); else 412. An empty If-Match matches nothing (412).',
    schema: { type: 'string' },
  },
};

export const idempotencyKeyHeader: Record<string, ParameterDoc> = {
  'Idempotency-Key': {
    description: '1-255 visible ASCII characters: a retry with the same key and a JSON-equal body within 24 h replays the first response.',
    schema: { type: 'string', pattern: '^[\\x21-\\x7E]{1,255}$' },
  },
};

const eventTypes = currentEventSchemas.map(({ type }) => type);

/** `type` (repeatable: events of any of these types) and `sessionId`, of the given event types. */
const filterOf = (types: readonly string[]): Record<string, ParameterDoc> => ({
  type: {
    description: 'Only events of these types: repeat it for several (`type=SessionCreated&type=SessionDeleted`). An unknown type: 400 `invalid_query`.',
    schema: { type: 'array', items: { type: 'string', enum: types } },
  },
  sessionId: { description: "Only this session's events.", schema: { type: 'string' } },
});

/** The log's filter: the types the log holds. */
export const eventFilterParameters = filterOf(eventTypes);

/** The live stream's: the log's types and the notices it also carries (SessionFocusRequested). */
export const streamFilterParameters = filterOf([...eventTypes, ...TRANSIENT_TYPES]);

/** Headers of a response about one session. */
export const sessionEtag = { ETag: "The session's version as an entity tag." };
