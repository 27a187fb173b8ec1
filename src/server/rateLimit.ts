/*
 * Token buckets, one per key (an API token's id): each holds up to `burst` units and refills at
 * `perMinute / 60` units a second. A request takes all the units it needs at once or none, so a
 * refused request costs nothing and changes nothing.
 */

export interface RateLimitSettings {
  /** Units refilled per minute; 0 turns limiting off. */
  readonly perMinute: number;
  /** Units a bucket holds when full. */
  readonly burst: number;
}

export type RateDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterSeconds: number; readonly available: number }
  | { readonly allowed: false; readonly retryAfterSeconds: undefined; readonly available: number };

interface Bucket {
  units: number;
  at: number;
}

export interface RateLimiterOptions {
  /** A monotonic clock in milliseconds (injectable so tests move time instead of sleeping). */
  readonly now?: () => number;
  /** Buckets held before full ones are swept away; a full bucket is what a new one would be, so forgetting it changes nothing. Default 10,000. */
  readonly sweepAt?: number;
  /** Hard bound on buckets: past it the least recently used are forgotten (keys are authenticated token ids). Default 100,000. */
  readonly maxBuckets?: number;
}

/**
 * Usage: const limiter = new RateLimiter({ perMinute: 600, burst: 100 });
 *        const decision = limiter.take(viewer.tokenId, mutationFields);
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private readonly now: () => number;
  private readonly minSweepAt: number;
  private readonly maxBuckets: number;
  private sweepAt: number;

  constructor(
    readonly settings: RateLimitSettings,
    options: RateLimiterOptions = {},
  ) {
    this.perMs = settings.perMinute / 60_000;
    this.now = options.now ?? (() => performance.now());
    this.minSweepAt = options.sweepAt ?? 10_000;
    this.maxBuckets = options.maxBuckets ?? 100_000;
    this.sweepAt = this.minSweepAt;
  }

  get enabled(): boolean {
    return this.settings.perMinute > 0;
  }

  /** Buckets held in memory (bounded: full ones are forgotten). */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes `units` from `key`'s bucket if it holds them all; otherwise takes nothing and says when to retry. */
  take(key: string, units: number): RateDecision {
    if (!this.enabled || units <= 0) return { allowed: true };
    const now = this.now();
    const bucket = this.refilled(key, now);
    if (bucket.units >= units) {
      bucket.units -= units;
      return { allowed: true };
    }
    const available = Math.floor(bucket.units);
    // More than a full bucket can never be granted at once: waiting would not help.
    if (units > this.settings.burst) return { allowed: false, retryAfterSeconds: undefined, available };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((units - bucket.units) / this.perMs / 1000)), available };
  }

  private refilled(key: string, now: number): Bucket {
    const existing = this.buckets.get(key);
    if (existing) {
      existing.units = Math.min(this.settings.burst, existing.units + (now - existing.at) * this.perMs);
      existing.at = now;
      // Re-inserted so the map's order is least recently used first.
      this.buckets.delete(key);
      this.buckets.set(key, existing);
      return existing;
    }
    if (this.buckets.size >= this.sweepAt) this.sweep(now);
    const bucket = { units: this.settings.burst, at: now };
    this.buckets.set(key, bucket);
    return bucket;
  }

  /** Forgets every bucket that has refilled completely (a new one would be identical), then the least recently used beyond the bound. */
  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.units + (now - bucket.at) * this.perMs >= this.settings.burst) this.buckets.delete(key);
    }
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < this.maxBuckets) break;
      this.buckets.delete(key);
    }
    // Many busy tokens: sweep again only once their number has doubled, so sweeping stays amortised O(1) a take.
    this.sweepAt = Math.min(this.maxBuckets, Math.max(this.minSweepAt, this.buckets.size * 2));
  }
}
