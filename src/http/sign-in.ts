import { LOGIN_CODE_TTL_MS, mintLoginCode, readLoginCode } from '../sign-in/login-codes';
import { mintUiCredential, readUiCredential, uiCookieValues, type UiCredential } from '../sign-in/ui-credentials';
import { UsedLoginCodes } from '../sign-in/used-login-codes';
import type { TokenCheck } from '../token';

export interface SignInOptions {
  now: () => number;
  /** When this server started: codes made before it may have been redeemed by an earlier run, whose memory is gone. */
  startedAt: number;
  /** Redeemed codes remembered at once (each for at most two minutes). */
  maxRedeemedCodes?: number;
  /** Wrong tokens the login form takes per minute; past it the form refuses every attempt until the minute is over. */
  maxTokenAttemptsPerMinute?: number;
}

export type Redeemed = { credential: string; sessionId: string | null } | { refused: CodeRefusal };
export type CodeRefusal = 'malformed' | 'forged' | 'expired' | 'reused' | 'before-start' | 'busy';
export type TokenAttempt = { credential: string } | { refused: 'wrong' | 'throttled' };

const MINUTE_MS = 60_000;
const DEFAULT_MAX_REDEEMED_CODES = 10_000;
const DEFAULT_MAX_TOKEN_ATTEMPTS = 10;

/**
 * The web app's sign-in (contract §11): one-time login codes become UI credentials, and the
 * login form trades the API token for one. Everything is signed with the current token, so a
 * rotation revokes every code and credential at once.
 */
export class SignIn {
  private readonly redeemed: UsedLoginCodes;
  private readonly wrongAttempts: number[] = [];
  private readonly maxTokenAttempts: number;

  constructor(
    private readonly tokens: TokenCheck,
    private readonly options: SignInOptions,
  ) {
    this.redeemed = new UsedLoginCodes(options.maxRedeemedCodes ?? DEFAULT_MAX_REDEEMED_CODES);
    this.maxTokenAttempts = options.maxTokenAttemptsPerMinute ?? DEFAULT_MAX_TOKEN_ATTEMPTS;
  }

  /** A fresh one-time link to the app, at a session when one is given. */
  loginLink(origin: string, sessionId: string | null = null): string {
    return loginLink(origin, mintLoginCode(this.tokens.sign, this.options.now(), sessionId));
  }

  redeem(code: string): Redeemed {
    const now = this.options.now();
    const read = readLoginCode(this.tokens.sign, code, now);
    if (typeof read === 'string') return { refused: read };
    if (read.issuedAt < this.options.startedAt) return { refused: 'before-start' };
    const claim = this.redeemed.claim(read.nonce, read.expiresAt, now);
    if (claim === 'reused') return { refused: 'reused' };
    if (claim === 'full') return { refused: 'busy' };
    return { credential: mintUiCredential(this.tokens.sign, now), sessionId: read.sessionId };
  }

  /** The login form: the API token for a credential, compared in constant time, a bounded number of wrong tries a minute. */
  tradeToken(candidate: string): TokenAttempt {
    const now = this.options.now();
    while (this.wrongAttempts.length > 0 && this.wrongAttempts[0] <= now - MINUTE_MS) this.wrongAttempts.shift();
    if (this.wrongAttempts.length >= this.maxTokenAttempts) return { refused: 'throttled' };
    if (!this.tokens.matches(candidate)) {
      this.wrongAttempts.push(now);
      return { refused: 'wrong' };
    }
    return { credential: mintUiCredential(this.tokens.sign, now) };
  }

  /** The valid UI credential among the request's cookies, if any. */
  credentialOf(cookieHeader: string | undefined): UiCredential | null {
    const now = this.options.now();
    for (const value of uiCookieValues(cookieHeader)) {
      const credential = readUiCredential(this.tokens.sign, value, now);
      if (credential) return credential;
    }
    return null;
  }
}

export const loginLink = (origin: string, code: string) => `${origin}/app/login?code=${code}`;

export { LOGIN_CODE_TTL_MS };
