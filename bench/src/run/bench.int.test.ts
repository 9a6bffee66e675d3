import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceEnv } from '@parley/runtime';
import { describe, expect, it } from 'vitest';
import type { BenchOptions } from './options.js';
import { runTarget, TARGETS, type TargetResult } from './target.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

// A generous ack timeout: on a shared, oversubscribed machine Kafka may stall for seconds, and
// the invariants here are about loss and storage, not about the node's patience.
const testEnv = { ...serviceEnv(root), ACK_TIMEOUT_MS: '30000' };

/**
 * The whole bench, small: two real chat nodes and a writer on the local stack, the lean client
 * load, and the PostgreSQL check. Ports 4320-4329 are this file's.
 */
describe('bench end to end against the local stack', () => {
  it('loses no message and persists exactly the acked ones (2 nodes, 40 clients, 5 s)', async () => {
    const options: BenchOptions = {
      clients: 40,
      rooms: 4,
      nodes: 2,
      durationS: 5,
      rate: 2,
      targets: undefined,
      compare: false,
      target: 'parley',
      out: '/dev/null',
      html: '/dev/null',
      markdown: undefined,
      basePort: 4320,
      writerPort: 4329,
      drainS: 15,
      warmupS: 1,
    };
    const ticks: number[] = [];
    const result: TargetResult = await runTarget(TARGETS.parley, {
      root,
      env: testEnv,
      options,
      logDir: resolve(root, '.stack/bench-logs/int-test'),
      onTick: (_target, tick) => ticks.push(tick.second),
      log: () => undefined,
    });

    expect(result.sent).toBeGreaterThan(300);
    expect(result.acked).toBe(result.sent);
    // Each room has 10 members over both nodes, so each message is due to the other 9.
    expect(result.expected).toBe(result.acked * 9);
    expect(result.lost).toBe(0);
    expect(result.duplicates).toBe(0);
    expect(result.misrouted).toBe(0);
    expect(result.persisted).toBe(result.acked);
    expect(result.persistedAcked).toBe(result.acked);
    expect(result.crossNodeDeliveries).toBeGreaterThan(0);
    expect(result.latencyMs.p50).toBeGreaterThan(0);
    expect(result.rssBytesPerNode.every((rss) => rss !== null && rss > 10_000_000)).toBe(true);
    expect(ticks.length).toBeGreaterThanOrEqual(4);
  });

  it('measures the raw uWebSockets.js ceiling target with the same accounting', async () => {
    const options: BenchOptions = {
      clients: 20,
      rooms: 2,
      nodes: 2,
      durationS: 3,
      rate: 2,
      targets: undefined,
      compare: false,
      target: 'raw',
      out: '/dev/null',
      html: '/dev/null',
      markdown: undefined,
      basePort: 4322,
      writerPort: 4329,
      drainS: 10,
      warmupS: 0,
    };
    const result = await runTarget(TARGETS.raw, {
      root,
      env: serviceEnv(root),
      options,
      logDir: resolve(root, '.stack/bench-logs/int-test'),
      onTick: () => undefined,
      log: () => undefined,
    });

    expect(result.acked).toBe(result.sent);
    expect(result.expected).toBe(result.acked * 9);
    expect(result.lost).toBe(0);
    expect(result.persisted).toBeNull();
  });
});
