import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import type { StoredEvent } from '../../events/envelope';

export const GENESIS_HASH = '0'.repeat(64);

/**
 * Each event's hash covers the previous event's hash and every field of the event but its own
 * hash, serialised with sorted keys so that any reader, in any language, can recompute it.
 */
export function hashEvent(previousHash: string, event: Omit<StoredEvent, 'hash'>): string {
  const { position, streamId, version, type, schemaVersion, data, meta } = event;
  return createHash('sha256')
    .update(previousHash)
    .update('\n')
    .update(stableStringify({ position, streamId, version, type, schemaVersion, data, meta }))
    .digest('hex');
}
