import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from './histogram.js';

describe('LatencyHistogram', () => {
  it('keeps sub-millisecond resolution to three significant digits', () => {
    const histogram = new LatencyHistogram();
    for (let i = 1; i <= 1000; i += 1) histogram.recordMs(i / 1000);

    const p = histogram.percentiles();
    expect(p.p50).toBeCloseTo(0.5, 2);
    expect(p.p99).toBeCloseTo(0.99, 2);
    expect(p.max).toBeCloseTo(1, 2);
  });

  it('reports zeros, not NaN, when nothing was recorded', () => {
    expect(new LatencyHistogram().percentiles()).toEqual({
      p50: 0,
      p90: 0,
      p99: 0,
      p999: 0,
      max: 0,
    });
  });

  it('puts every recorded value in exactly one chart bucket', () => {
    const histogram = new LatencyHistogram();
    const values = [0, 0.05, 0.3, 1, 7.5, 120, 4000];
    for (const value of values) histogram.recordMs(value);

    const buckets = histogram.buckets();
    expect(buckets.reduce((sum, b) => sum + b.count, 0)).toBe(values.length);
    const last = buckets.at(-1);
    expect(last?.upToMs).toBeGreaterThanOrEqual(4000);
  });
});
