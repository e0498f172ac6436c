import { timingSafeEqual } from 'node:crypto';
import { MAC_BYTES, type SignedKind, type Signer } from './signer';

/** Longest text accepted as a signed value: a code or a cookie, never anything near this. */
export const MAX_SIGNED_TEXT = 512;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** `payload ‖ MAC(payload)` in base64url: what goes into a link or a cookie. */
export function seal(sign: Signer, kind: SignedKind, payload: Buffer): string {
  return Buffer.concat([payload, sign(kind, payload)]).toString('base64url');
}

/**
 * The payload of a sealed value, or 'malformed' (not base64url, too short or too long) or
 * 'forged' (the MAC does not match: tampered, or made with another token). Compared in constant time.
 */
export function unseal(sign: Signer, kind: SignedKind, text: string, minPayload: number): Buffer | 'malformed' | 'forged' {
  if (text.length === 0 || text.length > MAX_SIGNED_TEXT || !BASE64URL.test(text)) return 'malformed';
  const bytes = Buffer.from(text, 'base64url');
  // base64url decoding is lenient about trailing bits: only the canonical spelling is accepted.
  if (bytes.length < minPayload + MAC_BYTES || bytes.toString('base64url') !== text) return 'malformed';
  const payload = bytes.subarray(0, bytes.length - MAC_BYTES);
  const mac = bytes.subarray(bytes.length - MAC_BYTES);
  return timingSafeEqual(mac, sign(kind, payload)) ? payload : 'forged';
}
