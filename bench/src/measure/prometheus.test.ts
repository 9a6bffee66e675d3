import { describe, expect, it } from 'vitest';
import { cpuPercent, sumMetric } from './prometheus.js';

describe('sumMetric', () => {
  const text = [
    '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
    '# TYPE process_cpu_seconds_total counter',
    'process_cpu_seconds_total 1.5',
    'process_cpu_seconds_total_extra 99',
    'chat_messages_rejected_total{reason="INVALID"} 2',
    'chat_messages_rejected_total{reason="RATE_LIMITED",node="a b"} 3 1700000000000',
  ].join('\n');

  it('reads an unlabelled sample and ignores metrics that only share a prefix', () => {
    expect(sumMetric(text, 'process_cpu_seconds_total')).toBe(1.5);
  });

  it('sums every labelled series, with or without a timestamp', () => {
    expect(sumMetric(text, 'chat_messages_rejected_total')).toBe(5);
  });

  it('says undefined, not zero, for a metric the target does not expose', () => {
    expect(sumMetric(text, 'process_resident_memory_bytes')).toBeUndefined();
  });
});

describe('cpuPercent', () => {
  it('is the CPU seconds per wall second as a percentage of one core', () => {
    const from = { atMs: 0, rssBytes: 1, cpuSeconds: 10 };
    expect(cpuPercent(from, { atMs: 2000, rssBytes: 1, cpuSeconds: 11 })).toBe(50);
  });
});
