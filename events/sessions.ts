import type { FromSchema } from 'json-schema-to-ts';
import { requiredKeys, writableSessionFields } from '../src/schemas/session';

/*
 * Events of a session's stream (the stream id is the session id), one type per intent. Each data
 * schema is the event's current version; `meta.at` is when it happened.
 */

export const SessionCreated = {
  type: 'SessionCreated',
  schemaVersion: 2,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: requiredKeys(writableSessionFields),
    properties: writableSessionFields,
  },
  /** Version 1 could leave `client` out; read as version 2 it is null. */
  previous: [
    {
      schemaVersion: 1,
      schema: {
        type: 'object',
        additionalProperties: false,
        required: requiredKeys(writableSessionFields).filter((field) => field !== 'client'),
        properties: writableSessionFields,
      },
      upcast: (data: Record<string, unknown>) => ({ ...data, client: data.client ?? null }),
    },
  ],
} as const;

/** Only the fields that changed, with their new values (already normalised). */
export const SessionUpdated = {
  type: 'SessionUpdated',
  schemaVersion: 1,
  schema: { type: 'object', additionalProperties: false, minProperties: 1, properties: writableSessionFields },
} as const;

export const SessionNotesReplaced = {
  type: 'SessionNotesReplaced',
  schemaVersion: 1,
  schema: { type: 'object', additionalProperties: false, required: ['notes'], properties: { notes: writableSessionFields.notes } },
} as const;

export const SessionTagsReplaced = {
  type: 'SessionTagsReplaced',
  schemaVersion: 1,
  schema: { type: 'object', additionalProperties: false, required: ['tags'], properties: { tags: writableSessionFields.tags } },
} as const;

/** The project was opened (lastOpened = meta.at). */
export const SessionOpened = {
  type: 'SessionOpened',
  schemaVersion: 1,
  schema: { type: 'object', additionalProperties: false, properties: {} },
} as const;

/** The session leaves the catalogue; its history stays in the log. */
export const SessionDeleted = {
  type: 'SessionDeleted',
  schemaVersion: 1,
  schema: { type: 'object', additionalProperties: false, properties: {} },
} as const;

export type SessionCreatedData = FromSchema<typeof SessionCreated.schema>;
export type SessionUpdatedData = FromSchema<typeof SessionUpdated.schema>;
export type SessionNotesReplacedData = FromSchema<typeof SessionNotesReplaced.schema>;
export type SessionTagsReplacedData = FromSchema<typeof SessionTagsReplaced.schema>;

export const sessionEvents = [SessionCreated, SessionUpdated, SessionNotesReplaced, SessionTagsReplaced, SessionOpened, SessionDeleted] as const;
