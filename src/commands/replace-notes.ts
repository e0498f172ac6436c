import type { FromSchema } from 'json-schema-to-ts';
import type { NewEvent } from '../../events/envelope';
import { SessionNotesReplaced } from '../../events/sessions';
import type { SessionState } from '../../projections/session-state';
import { writableSessionFields } from '../schemas/session';

/** PUT or PATCH /sessions/{id}/notes: both replace; null or "" clears. */
export const replaceNotesBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['notes'],
  properties: { notes: { anyOf: [writableSessionFields.notes, { type: 'null' }] } },
} as const;

export type ReplaceNotesBody = FromSchema<typeof replaceNotesBodySchema>;

export function decideReplaceNotes(state: SessionState, body: ReplaceNotesBody): NewEvent[] {
  const notes = body.notes ?? '';
  return notes === state.notes ? [] : [{ type: SessionNotesReplaced.type, data: { notes } }];
}
