import { randomBytes } from 'node:crypto';
import { seal, unseal } from './signed-value';
import type { Signer } from './signer';

/** How long a login code may be used: long enough to click a printed link, short enough to be worthless later. */
export const LOGIN_CODE_TTL_MS = 2 * 60_000;
/** A code's expiry may lie this much beyond its lifetime: the clocks of the CLI and the server are one machine's. */
const CLOCK_SLACK_MS = 5_000;

const VERSION = 1;
const NONCE_BYTES = 16;
const HEADER_BYTES = 1 + 8 + NONCE_BYTES;
/** A code can name the session the app opens at (focus): a session id, nothing else. */
const SESSION_ID = /^session_[0-9A-HJKMNP-TV-Z]{26}$/;

export interface LoginCode {
  /** What makes the code single-use: remembered once redeemed, until it expires. */
  nonce: string;
  expiresAt: number;
  issuedAt: number;
  /** The session the app opens at, or null for the catalogue. */
  sessionId: string | null;
}

export type LoginCodeProblem = 'malformed' | 'forged' | 'expired';

/**
 * A one-time login code: version ‖ expiry (ms) ‖ random nonce ‖ session id?, sealed with the
 * token's MAC. Anyone holding the token can make one (the `ui` command, the server itself), so
 * the server needs no shared state with its CLI; nobody without the token can.
 */
export function mintLoginCode(sign: Signer, now: number, sessionId: string | null = null): string {
  if (sessionId !== null && !SESSION_ID.test(sessionId)) throw new Error(`not a session id: ${sessionId}`);
  const target = Buffer.from(sessionId ?? '', 'utf8');
  const payload = Buffer.alloc(HEADER_BYTES + target.length);
  payload.writeUInt8(VERSION, 0);
  payload.writeBigUInt64BE(BigInt(now + LOGIN_CODE_TTL_MS), 1);
  randomBytes(NONCE_BYTES).copy(payload, 9);
  target.copy(payload, HEADER_BYTES);
  return seal(sign, 'login', payload);
}

/** Checks a code's MAC, form and expiry; single use is the caller's (it keeps the redeemed nonces). */
export function readLoginCode(sign: Signer, code: string, now: number): LoginCode | LoginCodeProblem {
  const payload = unseal(sign, 'login', code, HEADER_BYTES);
  if (typeof payload === 'string') return payload;
  if (payload.readUInt8(0) !== VERSION) return 'malformed';
  const expiresAt = Number(payload.readBigUInt64BE(1));
  const target = payload.subarray(HEADER_BYTES).toString('utf8');
  if (target !== '' && !SESSION_ID.test(target)) return 'malformed';
  // A code that claims to live longer than any code may is not one this design makes.
  if (expiresAt > now + LOGIN_CODE_TTL_MS + CLOCK_SLACK_MS) return 'malformed';
  if (expiresAt <= now) return 'expired';
  return {
    nonce: payload.subarray(9, HEADER_BYTES).toString('hex'),
    expiresAt,
    issuedAt: expiresAt - LOGIN_CODE_TTL_MS,
    sessionId: target === '' ? null : target,
  };
}
