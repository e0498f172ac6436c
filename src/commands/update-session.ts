import type { FromSchema } from 'json-schema-to-ts';
import type { NewEvent } from '../../events/envelope';
import { SessionUpdated, type SessionUpdatedData } from '../../events/sessions';
import type { SessionState } from '../../projections/session-state';
import { writableSessionFields } from '../schemas/session';
import { normaliseTags, sameValue } from './normalise';

/** PATCH /sessions/{id}: any writable field, at least one; `null` clears notes (to "") and tags (to []). */
export const updateSessionBodySchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    ...writableSessionFields,
    notes: { anyOf: [writableSessionFields.notes, { type: 'null' }] },
    tags: { anyOf: [writableSessionFields.tags, { type: 'null' }] },
  },
} as const;

export type UpdateSessionBody = FromSchema<typeof updateSessionBodySchema>;

/** The body's fields in the form the session stores them. */
function normalise(body: UpdateSessionBody): SessionUpdatedData {
  const fields: SessionUpdatedData = {};
  if (body.title !== undefined) fields.title = body.title.trim();
  if (body.kind !== undefined) fields.kind = body.kind.trim();
  if (body.status !== undefined) fields.status = body.status;
  if (body.accent !== undefined) fields.accent = body.accent;
  if (body.tags !== undefined) fields.tags = normaliseTags(body.tags ?? []);
  if (body.notes !== undefined) fields.notes = body.notes ?? '';
  if (body.client !== undefined) fields.client = body.client;
  if (body.projectPath !== undefined) fields.projectPath = body.projectPath;
  return fields;
}

/** One SessionUpdated with only the fields that change; none when nothing would. */
export function decideUpdateSession(state: SessionState, body: UpdateSessionBody): NewEvent[] {
  const changes = Object.fromEntries(
    Object.entries(normalise(body)).filter(([field, value]) => !sameValue(state[field as keyof SessionState], value)),
  );
  return Object.keys(changes).length === 0 ? [] : [{ type: SessionUpdated.type, data: changes }];
}
