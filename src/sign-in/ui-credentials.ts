import { randomBytes } from 'node:crypto';
import { seal, unseal } from './signed-value';
import type { Signer } from './signer';

/** How long a browser stays signed in without a new login: the cookie's Max-Age and the credential's own limit. */
export const UI_CREDENTIAL_LIFETIME_MS = 30 * 24 * 60 * 60_000;
export const UI_COOKIE = 'sessiondock_ui';
const CLOCK_SLACK_MS = 5_000;

const VERSION = 1;
const ID_BYTES = 12;
const PAYLOAD_BYTES = 1 + ID_BYTES + 8;

export interface UiCredential {
  /** Names one sign-in (one browser). */
  id: string;
  issuedAt: number;
}

/**
 * What the web app's cookie holds: version ‖ random id ‖ issued-at (ms), sealed with the token's
 * MAC. Not the token: it reveals nothing of it, it survives a server restart (nothing is stored),
 * and a rotated token revokes every credential at once (the MAC no longer matches).
 */
export function mintUiCredential(sign: Signer, now: number): string {
  const payload = Buffer.alloc(PAYLOAD_BYTES);
  payload.writeUInt8(VERSION, 0);
  randomBytes(ID_BYTES).copy(payload, 1);
  payload.writeBigUInt64BE(BigInt(now), 1 + ID_BYTES);
  return seal(sign, 'ui', payload);
}

export function readUiCredential(sign: Signer, value: string, now: number): UiCredential | null {
  const payload = unseal(sign, 'ui', value, PAYLOAD_BYTES);
  if (typeof payload === 'string' || payload.length !== PAYLOAD_BYTES || payload.readUInt8(0) !== VERSION) return null;
  const issuedAt = Number(payload.readBigUInt64BE(1 + ID_BYTES));
  if (issuedAt > now + CLOCK_SLACK_MS || now - issuedAt >= UI_CREDENTIAL_LIFETIME_MS) return null;
  return { id: payload.subarray(1, 1 + ID_BYTES).toString('hex'), issuedAt };
}

/** The Set-Cookie value that signs a browser in. No Secure: the server speaks plain HTTP on loopback. */
export const uiCookieHeader = (credential: string) =>
  `${UI_COOKIE}=${credential}; Path=/; Max-Age=${UI_CREDENTIAL_LIFETIME_MS / 1000}; HttpOnly; SameSite=Strict`;

/** Most cookies of that name looked at: another local server on the same host may have set one too. */
const MAX_CANDIDATES = 4;

/** The values of the UI cookie in a Cookie header (a bounded few). */
export function uiCookieValues(header: string | undefined): string[] {
  if (!header) return [];
  const values: string[] = [];
  const prefix = `${UI_COOKIE}=`;
  for (const part of header.split(';')) {
    const pair = part.trim();
    if (pair.startsWith(prefix)) values.push(pair.slice(prefix.length));
    if (values.length === MAX_CANDIDATES) break;
  }
  return values;
}
