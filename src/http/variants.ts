import type { Context } from 'koa';
import type { SessionState, VariantState } from '../../projections/session-state';
import { ApiError } from '../errors';
import { single } from './query';
import { preferredVariant } from './session-view';

/** The variant a request names with `?variantId=`, else the preferred one; 404 when there is none. */
export function requestedVariant(session: SessionState, ctx: Context): VariantState {
  const variantId = single(ctx, 'variantId');
  const variant = variantId === undefined ? preferredVariant(session) : session.previews.find((candidate) => candidate.id === variantId);
  if (!variant) throw new ApiError('not_found', variantId === undefined ? 'The session has no preview.' : 'preview variant not found');
  return variant;
}

/** The waveform-notes lane a request names: a variant's id, else the preferred variant's, else `main` (§6). */
export function requestedLane(session: SessionState, ctx: Context): string {
  if (single(ctx, 'variantId') !== undefined || session.preferredPreviewId !== null) return requestedVariant(session, ctx).id;
  return 'main';
}
