import type { FromSchema } from 'json-schema-to-ts';
import { requiredKeys, writableSessionFields } from '../src/schemas/session';

/** Events of a session's stream. The stream id is the session id. */
export const SessionCreated = {
  type: 'SessionCreated',
  schemaVersion: 1,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: requiredKeys(writableSessionFields),
    properties: writableSessionFields,
  },
} as const;

export type SessionCreatedData = FromSchema<typeof SessionCreated.schema>;

export const sessionEvents = [SessionCreated] as const;
