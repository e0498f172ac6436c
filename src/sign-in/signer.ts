import { createHmac } from 'node:crypto';

/**
 * A MAC keyed with the API token: what makes login codes and UI credentials unforgeable without
 * the token, and what revokes them all when the token rotates. The label keeps the two kinds apart
 * (a login code can never be read as a credential, nor the reverse).
 */
export type Signer = (label: SignedKind, payload: Buffer) => Buffer;

export type SignedKind = 'login' | 'ui';

export const MAC_BYTES = 32;

export function macWith(key: string | Buffer, label: SignedKind, payload: Buffer): Buffer {
  return createHmac('sha256', key).update(`sessiondock ${label} v1\0`).update(payload).digest();
}

export const tokenSigner =
  (token: string): Signer =>
  (label, payload) =>
    macWith(token, label, payload);
