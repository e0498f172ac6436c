/**
 * The nonces of redeemed login codes, each kept until its code expires (then no MAC check can
 * pass for it anyway). Bounded: when `max` unexpired codes have been redeemed, further codes are
 * refused until some expire, rather than forgetting one that could then be used again.
 */
export class UsedLoginCodes {
  private readonly used = new Map<string, number>();

  constructor(private readonly max: number) {}

  claim(nonce: string, expiresAt: number, now: number): 'claimed' | 'reused' | 'full' {
    if (this.used.has(nonce)) return 'reused';
    this.prune(now);
    if (this.used.size >= this.max) return 'full';
    this.used.set(nonce, expiresAt);
    return 'claimed';
  }

  size(): number {
    return this.used.size;
  }

  private prune(now: number): void {
    for (const [nonce, expiresAt] of this.used) if (expiresAt <= now) this.used.delete(nonce);
  }
}
