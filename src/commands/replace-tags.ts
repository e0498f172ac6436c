import type { FromSchema } from 'json-schema-to-ts';
import type { NewEvent } from '../../events/envelope';
import { SessionTagsReplaced } from '../../events/sessions';
import type { SessionState } from '../../projections/session-state';
import { tagsInput } from '../schemas/session-input';
import { normaliseTags, sameValue } from './normalise';

/** PUT or PATCH /sessions/{id}/tags: both replace the whole list. */
export const replaceTagsBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['tags'],
  properties: { tags: tagsInput },
} as const;

export type ReplaceTagsBody = FromSchema<typeof replaceTagsBodySchema>;

export function decideReplaceTags(state: SessionState, body: ReplaceTagsBody): NewEvent[] {
  const tags = normaliseTags(body.tags);
  return sameValue(tags, state.tags) ? [] : [{ type: SessionTagsReplaced.type, data: { tags } }];
}
