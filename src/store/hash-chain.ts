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

const TYPE_KEY = '"type":"';

/**
 * The type of a stored record, read without parsing it: in the order `eventJson` writes, `type`
 * comes after position, streamId and version, none of which can hold a quote, so the first
 * `"type":"` is the event's own (verify checks the order of every stored record).
 */
export function recordType(record: string): string {
  const start = record.indexOf(TYPE_KEY) + TYPE_KEY.length;
  return record.slice(start, record.indexOf('"', start));
}
