import { createHash } from 'node:crypto';
import type { StoredEvent } from '../../events/envelope';

export const GENESIS_HASH = '0'.repeat(64);

export type UnhashedEvent = Omit<StoredEvent, 'hash'>;

/**
 * An event as stored: its JSON with the keys in this order, `hash` last. The hash covers exactly
 * the text before it, so a verifier in any language can recompute it from the stored bytes.
 */
export function eventJson(event: UnhashedEvent, dataJson = JSON.stringify(event.data), metaJson = JSON.stringify(event.meta)): string {
  return (
    `{"position":${event.position},"streamId":${JSON.stringify(event.streamId)},"version":${event.version},` +
    `"type":${JSON.stringify(event.type)},"schemaVersion":${event.schemaVersion},"data":${dataJson},"meta":${metaJson}}`
  );
}

/** SHA-256 over the previous event's hash, a newline and this event's JSON without its hash. */
export function chainHash(previousHash: string, json: string): string {
  return createHash('sha256').update(previousHash).update('\n').update(json).digest('hex');
}

export const hashEvent = (previousHash: string, event: UnhashedEvent) => chainHash(previousHash, eventJson(event));

/** The stored record: the event's JSON with its hash added as the last key. */
export const withHash = (json: string, hash: string) => `${json.slice(0, -1)},"hash":"${hash}"}`;
