import { describe, expect, it } from 'vitest';
import type { TargetResult } from '../run/target.js';
import { renderHtml } from './html.js';
import { formatMarkdown, formatRatios, formatTable } from './table.js';

function result(target: string, deliveriesPerSec: number, p99: number): TargetResult {
  const latency = { p50: 1, p90: 2, p99, p999: p99 * 2, max: p99 * 3 };
  return {
    target,
    nodes: 2,
    clients: 10,
    rooms: 1,
    durationS: 2,
    sent: 20,
    acked: 20,
    delivered: 180,
    expected: 180,
    lost: 0,
    duplicates: 0,
    deliveriesPerSec,
    latencyMs: latency,
    ackMs: latency,
    persisted: 20,
    persistedAcked: 20,
    persistLagMs: { p50: 100, p99: 200 },
    rssBytesPerNode: [100 * 1048576, null],
    bytesPerConnection: 2048,
    generatorCpuPercent: 5,
    label: `${target} <label>`,
    ratePerClient: 1,
    misrouted: 0,
    reconnects: 0,
    connectFailures: 0,
    joinFailures: 0,
    ackErrors: {},
    connectMs: latency,
    crossNodeDeliveries: 90,
    nodeCpuPercent: [10, 10],
    deliveriesPerCoreSec: deliveriesPerSec * 5,
    generatorEventLoopP99Ms: 3,
    writerDrained: true,
    warnings: target === 'stock' ? ['generator was busy'] : [],
    latencyBuckets: [
      { upToMs: 1, count: 5 },
      { upToMs: 2, count: 10 },
    ],
    timeline: [
      {
        second: 1,
        sentPerSec: 10,
        deliveredPerSec: 90,
        p50Ms: 1,
        p99Ms: 3,
        connections: 10,
        errors: 0,
      },
      {
        second: 2,
        sentPerSec: 10,
        deliveredPerSec: 90,
        p50Ms: 1,
        p99Ms: 4,
        connections: 10,
        errors: 0,
      },
    ],
    startedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('report', () => {
  it('renders a self-contained page: three SVG charts, no scripts, no remote resources', () => {
    const html = renderHtml([result('parley', 90, 3), result('stock', 30, 9)]);

    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    expect(html).toContain('&lt;label&gt;');
    expect(html).toContain('[stock] generator was busy');
  });

  it('prints one column per target and every warning under the table', () => {
    const table = formatTable([result('parley', 90, 3), result('stock', 30, 9)]);
    expect(table.split('\n')[0]).toMatch(/parley\s+stock/);
    expect(table).toMatch(/lost\s+0\s+0/);
    expect(table).toContain('WARNING [stock]: generator was busy');
  });

  it('states the compare ratios against stock and raw, and nothing without them', () => {
    const ratios = formatRatios([
      result('parley', 90, 3),
      result('stock', 30, 9),
      result('raw', 180, 2),
    ]);
    expect(ratios).toContain('Parley / stock  deliveries/s 3.00x');
    expect(ratios).toContain('Parley / raw    deliveries/s 0.50x');
    expect(formatRatios([result('parley', 90, 3)])).toBe('');
  });

  it('renders the Markdown table with the command that produced it, one column per target', () => {
    const markdown = formatMarkdown(
      [result('parley', 90, 3), result('stock', 30, 9)],
      'npm run bench -- --compare',
    );
    const lines = markdown.split('\n');

    expect(lines[0]).toBe('`npm run bench -- --compare` (2026-01-01T00:00:00.000Z)');
    expect(lines).toContain('| measure | parley | stock |');
    expect(lines).toContain('| lost | 0 | 0 |');
    expect(markdown).toContain('- [stock] generator was busy');
  });
});
