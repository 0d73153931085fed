/** At most `limit` requests per `windowMs`; a client may use the whole allowance at once, then it refills evenly. */
export interface RateRule {
  limit: number;
  windowMs: number;
}

export type TakeResult = { allowed: true } | { allowed: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
  rule: RateRule;
}

export interface TokenBucketOptions {
  /** Past this many keys, idle buckets are dropped first, then the oldest (a dropped key starts afresh). */
  maxKeys?: number;
  /** How often idle (refilled) buckets are dropped. */
  sweepEveryMs?: number;
  now?: () => number;
}

/**
 * Token buckets in this process's memory, one per key (`policy|client`). A request costs one token;
 * a bucket holds at most `limit` tokens and refills at `limit / windowMs`. O(1) per request, so even
 * the generous per-token budget of operators' clients (thousands a second) costs next to nothing.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;
  private readonly sweepEveryMs: number;
  private readonly now: () => number;
  private lastSweep: number;

  constructor(options: TokenBucketOptions = {}) {
    this.maxKeys = options.maxKeys ?? 100_000;
    this.sweepEveryMs = options.sweepEveryMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.lastSweep = this.now();
  }

  take(key: string, rule: RateRule): TakeResult {
    const now = this.now();
    if (now - this.lastSweep >= this.sweepEveryMs || this.buckets.size >= this.maxKeys) this.sweep(now);
    const bucket = this.buckets.get(key);
    if (!bucket) {
      this.buckets.set(key, { tokens: rule.limit - 1, at: now, rule });
      return { allowed: true };
    }
    const rate = rule.limit / rule.windowMs;
    const tokens = Math.min(rule.limit, bucket.tokens + Math.max(0, now - bucket.at) * rate);
    bucket.at = now;
    bucket.rule = rule;
    if (tokens >= 1) {
      bucket.tokens = tokens - 1;
      return { allowed: true };
    }
    bucket.tokens = tokens;
    return { allowed: false, retryAfterMs: Math.ceil((1 - tokens) / rate) };
  }

  /** Keys currently held (for tests and diagnostics). */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) * (b.rule.limit / b.rule.windowMs) >= b.rule.limit) this.buckets.delete(key);
    }
    // Still full (a flood of distinct clients): the oldest keys go first.
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < this.maxKeys) break;
      this.buckets.delete(key);
    }
  }
}
