import type { FromSchema } from 'json-schema-to-ts';
import type { NewEvent } from '../../events/envelope';
import { PreferredPreviewChosen } from '../../events/previews';
import { SessionUpdated, type SessionUpdatedData } from '../../events/sessions';
import type { SessionState } from '../../projections/session-state';
import { ApiError } from '../errors';
import { previewVariantId } from '../schemas/preview';
import { canonicalKind } from '../kind';
import { sessionUpdateFields } from '../schemas/session-input';
import { blankAsNull, canonicalAccent, canonicalSlug, normaliseTags, sameValue } from './normalise';

/**
 * PATCH /sessions/{id}: any writable field, at least one; `null` clears notes (to "") and tags (to
 * []), `null` or "" clears client and projectPath; `preferredPreviewId` must name one of the
 * session's variants.
 */
export const updateSessionBodySchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { ...sessionUpdateFields, preferredPreviewId: previewVariantId },
} as const;

export type UpdateSessionBody = FromSchema<typeof updateSessionBodySchema>;

/** The body's fields in the form the session stores them. */
function normalise(body: Omit<UpdateSessionBody, 'preferredPreviewId'>): SessionUpdatedData {
  const fields: SessionUpdatedData = {};
  if (body.title !== undefined) fields.title = body.title.trim();
  if (body.kind !== undefined) fields.kind = canonicalKind(body.kind);
  if (body.status !== undefined) fields.status = canonicalSlug(body.status);
  if (body.accent !== undefined) fields.accent = canonicalAccent(body.accent);
  if (body.tags !== undefined) fields.tags = normaliseTags(body.tags ?? []);
  if (body.notes !== undefined) fields.notes = body.notes ?? '';
  if (body.client !== undefined) fields.client = blankAsNull(body.client);
  if (body.projectPath !== undefined) fields.projectPath = blankAsNull(body.projectPath);
  return fields;
}

/** One SessionUpdated with only the fields that change, and PreferredPreviewChosen for a new preferred variant; none when nothing would change. */
export function decideUpdateSession(state: SessionState, { preferredPreviewId, ...fields }: UpdateSessionBody): NewEvent[] {
  const events: NewEvent[] = [];
  const changes = Object.fromEntries(
    Object.entries(normalise(fields)).filter(([field, value]) => !sameValue(state[field as keyof SessionState], value)),
  );
  if (Object.keys(changes).length > 0) events.push({ type: SessionUpdated.type, data: changes });
  if (preferredPreviewId !== undefined && preferredPreviewId !== state.preferredPreviewId) {
    if (!state.previews.some((variant) => variant.id === preferredPreviewId)) {
      const message = 'must name one of the session\'s preview variants';
      throw new ApiError('invalid_request', `preferredPreviewId ${message}.`, [{ field: '/preferredPreviewId', message }]);
    }
    events.push({ type: PreferredPreviewChosen.type, data: { variantId: preferredPreviewId } });
  }
  return events;
}
