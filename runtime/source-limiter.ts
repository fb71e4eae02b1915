/**
 * The per-source rate limit of /ingest: a token bucket per source address, in a map of bounded
 * size that a flood of new addresses cannot use to reset anyone's bucket.
 *
 * A bucket leaves the map only once it is full again, which is exactly the state a new bucket
 * starts in: forgetting it gives its address nothing that waiting would not have given. When the
 * map is full and its least recently used bucket is not yet full, a new address shares one
 * overflow bucket (with one address's rate) with every other address that found no room. So a
 * flood of fresh addresses is limited as one address, an address that is being limited stays
 * limited, and the addresses already known keep their own buckets. The price: while a flood holds
 * every place, a genuinely new sender shares the overflow bucket with the flood.
 *
 * IPv6 sources are counted per /64, the block one subscriber is usually given, so that one host
 * cannot become 2^64 sources.
 */
import { isIP } from 'node:net';

interface Bucket {
  tokens: number;
  at: number;
}

/** The address a bucket belongs to: IPv4 as is, IPv6 by its /64. */
export function sourceKey(ip: string): string {
  if (ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4) return ip.slice(7);
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export class SourceLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly overflow: Bucket;
  private readonly burst: number;
  /** Milliseconds after its last use by which any bucket is full again. */
  private readonly refillMs: number;
  overflowed = 0;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
    private readonly maxSources = 20_000,
  ) {
    this.burst = perSecond * 2;
    this.refillMs = (this.burst / perSecond) * 1000;
    this.overflow = { tokens: this.burst, at: now() };
  }

  /** Sources with a bucket of their own (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  take(source: string): boolean {
    const t = this.now();
    const key = sourceKey(source);
    let b = this.buckets.get(key);
    if (b) {
      // Most recently used last: the map's first entry is the least recently used.
      this.buckets.delete(key);
      this.buckets.set(key, b);
    } else if (this.buckets.size < this.maxSources || this.evictRefilled(t)) {
      b = { tokens: this.burst, at: t };
      this.buckets.set(key, b);
    } else {
      this.overflowed += 1;
      b = this.overflow;
    }
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    b.at = t;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Frees the least recently used place if its bucket is full again. */
  private evictRefilled(t: number): boolean {
    const first = this.buckets.entries().next();
    if (first.done) return false;
    const [key, b] = first.value;
    const full = t - b.at >= this.refillMs || b.tokens + ((t - b.at) / 1000) * this.perSecond >= this.burst;
    if (!full) return false;
    this.buckets.delete(key);
    return true;
  }
}
