import * as hdr from 'hdr-histogram-js';

/** The percentiles every latency in the result carries, in milliseconds. */
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/**
 * A latency histogram in milliseconds over an HDR histogram of microseconds, so sub-millisecond
 * loopback latencies keep 3 significant digits while a 60 s stall still fits.
 */
const BUCKET_FIRST_MS = 0.1;
const BUCKET_GROWTH = 1.25;
const LOG_GROWTH = Math.log(BUCKET_GROWTH);

export class LatencyHistogram {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });

  private logCounts: number[] = [];

  recordMs(valueMs: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(valueMs * 1000)));
    const index = Math.max(0, Math.ceil(Math.log(valueMs / BUCKET_FIRST_MS) / LOG_GROWTH) - 1);
    this.logCounts[index] = (this.logCounts[index] ?? 0) + 1;
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  percentileMs(percentile: number): number {
    return this.count === 0 ? 0 : roundMs(this.histogram.getValueAtPercentile(percentile) / 1000);
  }

  percentiles(): Percentiles {
    return {
      p50: this.percentileMs(50),
      p90: this.percentileMs(90),
      p99: this.percentileMs(99),
      p999: this.percentileMs(99.9),
      max: this.count === 0 ? 0 : roundMs(this.histogram.maxValue / 1000),
    };
  }

  /** Counts per log-scale bucket (each 25% wider than the last, from 0.1 ms), for the report's chart. */
  buckets(): { upToMs: number; count: number }[] {
    return [...this.logCounts].map((count, index) => ({
      upToMs: roundMs(BUCKET_FIRST_MS * BUCKET_GROWTH ** (index + 1)),
      count: count ?? 0,
    }));
  }

  reset(): void {
    this.histogram.reset();
    this.logCounts = [];
  }
}
export function roundMs(valueMs: number): number {
  return Math.round(valueMs * 1000) / 1000;
}
