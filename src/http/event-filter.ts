import type { Context } from 'koa';
import { currentSchemaVersion } from '../../events/catalogue';
import type { StoredEvent } from '../../events/envelope';
import { ApiError } from '../errors';
import { single } from './query';

export interface EventFilter {
  sessionId: string | null;
  /** null: every type. */
  types: ReadonlySet<string> | null;
  matches(event: { type: string; streamId: string }): boolean;
}

/** `type` (repeatable, each a known event type) and `sessionId` of the audit and stream routes. */
export function eventFilter(ctx: Context): EventFilter {
  const requested = ctx.query.type === undefined ? [] : ([] as string[]).concat(ctx.query.type);
  const unknown = requested.find((type) => currentSchemaVersion(type) === undefined && !TRANSIENT_TYPES.has(type));
  if (unknown !== undefined) throw new ApiError('invalid_query', `type must name an event type, such as SessionCreated; ${JSON.stringify(unknown)} is not one.`);
  const types = requested.length > 0 ? new Set(requested) : null;
  const sessionId = single(ctx, 'sessionId') ?? null;
  return {
    sessionId,
    types,
    matches: (event: Pick<StoredEvent, 'type' | 'streamId'>) => (types === null || types.has(event.type)) && (sessionId === null || event.streamId === sessionId),
  };
}

/** Notices the live stream carries that are never written to the log (contract §8). */
export const TRANSIENT_TYPES: ReadonlySet<string> = new Set(['SessionFocusRequested']);
