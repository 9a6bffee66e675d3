import { describe, expect, it } from 'vitest';
import { TokenBucket } from './rate-limiter.js';

describe('TokenBucket', () => {
  it('allows exactly `burst` events at once, then refuses', () => {
    const now = 1000;
    const bucket = new TokenBucket(10, 5, () => now);

    const results = Array.from({ length: 7 }, () => bucket.take());

    expect(results).toEqual([true, true, true, true, true, false, false]);
  });

  it('refills at `perSecond` and never beyond `burst`', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 5, () => now);
    for (let i = 0; i < 5; i++) bucket.take();

    now += 100; // 10/s for 100 ms = one token
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);

    now += 60_000; // a long idle period refills to the burst, not beyond
    const allowed = Array.from({ length: 8 }, () => bucket.take()).filter(Boolean).length;
    expect(allowed).toBe(5);
  });

  it('ignores a clock that goes backwards', () => {
    let now = 1000;
    const bucket = new TokenBucket(1, 1, () => now);
    expect(bucket.take()).toBe(true);

    now = 0;
    expect(bucket.take()).toBe(false);
  });
});
