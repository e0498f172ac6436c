import type { NewEvent } from '../../events/envelope';
import { PreviewDetached } from '../../events/previews';
import type { SessionState } from '../../projections/session-state';
import { ApiError } from '../errors';

/** Detaching a variant the session does not have: 404. The fold picks the next preferred one. */
export function decideDetachPreview(state: SessionState, variantId: string): NewEvent[] {
  if (!state.previews.some((variant) => variant.id === variantId)) throw new ApiError('not_found', 'preview variant not found');
  return [{ type: PreviewDetached.type, data: { variantId } }];
}
