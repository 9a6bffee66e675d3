import type { Producer } from 'kafkajs';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnWriter, stopChild, waitHealthy, type ChildWriter } from './test/child.js';
import {
  chatRecord,
  connectDb,
  createScratchTable,
  createTopic,
  deleteTopic,
  kafka,
  produce,
  scrape,
  storedIds,
  suffix,
  waitFor,
  type TestRecord,
} from './test/harness.js';

/**
 * The writer as a real process (`node consumer/dist/main.js`): killed, doubled,
 * joined and left mid-stream. Each step waits at most 60 s (waitFor), inside the
 * 150 s test timeout, so a stuck run names the step it got stuck in.
 */
describe('writer process', () => {
  const tag = suffix();
  let db: pg.Client;
  let producer: Producer;
  const children: ChildWriter[] = [];
  const cleanup: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    db = await connectDb();
    producer = kafka().producer();
    await producer.connect();
  });

  afterEach(async () => {
    await Promise.all(children.splice(0).map(stopChild));
  });

  afterAll(async () => {
    await producer.disconnect();
    for (const step of cleanup) await step();
    await db.end();
  });

  async function scenario(
    name: string,
  ): Promise<{ topic: string; table: string; env: Record<string, string> }> {
    const topic = `writer-${name}-${tag}`;
    const table = `writer_${name}_${tag}`;
    await createScratchTable(db, table);
    await createTopic(topic, 4);
    cleanup.push(async () => {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
      await db.query('DELETE FROM dead_letters WHERE topic = $1', [topic]);
      await deleteTopic(topic);
    });
    const env = {
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: `writer-${name}-${tag}`,
      WRITER_TABLE: table,
      // A killed member's partitions move after these; the broker's minimum keeps the test short.
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_REBALANCE_TIMEOUT_MS: '6000',
    };
    return { topic, table, env };
  }

  function records(from: number, to: number): TestRecord[] {
    const out: TestRecord[] = [];
    for (let i = from; i < to; i++) out.push(chatRecord(`${tag}-${i}`, `room-${i % 11}`));
    return out;
  }

  /** True once the writer on `port` owns a partition (its lag gauge appears on assignment). */
  async function assigned(port: number): Promise<boolean> {
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return text.includes('writer_consumer_lag_messages{');
    } catch {
      return false;
    }
  }

  function expectedIds(count: number): string[] {
    return Array.from({ length: count }, (_, i) => `${tag}-${i}`).sort();
  }

  it('exits non-zero naming every bad setting', async () => {
    const child = spawnWriter({ METRICS_PORT: 'nope', BATCH_MAX_ROWS: '-1', KAFKA_BROKERS: '' });
    children.push(child);
    expect(await child.exited).toBe(2);
    for (const name of ['METRICS_PORT', 'BATCH_MAX_ROWS']) expect(child.stderr()).toContain(name);
  });

  it('a kill -9 mid-stream and a restart store exactly the same rows', async () => {
    const { topic, table, env } = await scenario('kill');
    const settings = {
      ...env,
      METRICS_PORT: '4211',
      BATCH_MAX_ROWS: '100',
      BATCH_MAX_WAIT_MS: '20',
    };
    await produce(producer, topic, records(0, 10_000));

    const first = spawnWriter(settings);
    children.push(first);
    await waitFor('some rows stored', async () => (await storedIds(db, table)).length >= 1000);
    first.process.kill('SIGKILL');
    await first.exited;
    const storedAtKill = (await storedIds(db, table)).length;
    expect(storedAtKill).toBeLessThan(10_000);

    // More arrive while no writer runs, including resends of ids stored before the kill.
    await produce(producer, topic, [...records(10_000, 12_000), ...records(0, 500)]);
    const second = spawnWriter(settings);
    children.push(second);
    await waitFor('all rows stored', async () => (await storedIds(db, table)).length >= 12_000);
    await waitFor(
      'lag drained',
      async () => (await scrape(4211, 'writer_rows_written_total')) !== undefined,
    );

    expect(await storedIds(db, table)).toEqual(expectedIds(12_000));
    second.process.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 150_000);

  it('two writer processes sharing the partitions store exactly the same rows', async () => {
    const { topic, table, env } = await scenario('pair');
    const ports = [4212, 4213];
    const pair = ports.map((port) =>
      spawnWriter({ ...env, METRICS_PORT: String(port), BATCH_MAX_ROWS: '200' }),
    );
    children.push(...pair);
    await Promise.all(ports.map((port) => waitHealthy(port)));

    // Records (and resends) arrive while the pair joins and splits the partitions between them.
    for (let round = 0; round < 5; round++) {
      await produce(producer, topic, [
        ...records(round * 1000, (round + 1) * 1000),
        ...records(0, 100),
      ]);
    }
    await waitFor('all rows stored', async () => (await storedIds(db, table)).length >= 5000);

    const written = await Promise.all(
      ports.map((port) => scrape(port, 'writer_rows_written_total')),
    );
    expect(await storedIds(db, table)).toEqual(expectedIds(5000));
    expect((written[0] ?? 0) + (written[1] ?? 0)).toBe(5000);

    for (const child of pair) child.process.kill('SIGTERM');
    expect(await Promise.all(pair.map((c) => c.exited))).toEqual([0, 0]);
  }, 150_000);

  it('writers joining and leaving mid-stream (rebalances mid-batch) store exactly the same rows', async () => {
    const { topic, table, env } = await scenario('rebalance');
    const settings = { ...env, BATCH_MAX_ROWS: '100', BATCH_MAX_WAIT_MS: '20' };
    const first = spawnWriter({ ...settings, METRICS_PORT: '4215' });
    children.push(first);
    await waitHealthy(4215);
    await produce(producer, topic, records(0, 4000));
    await waitFor('first rows stored', async () => (await storedIds(db, table)).length >= 500);

    // A second writer joins while the first is mid-stream: partitions move under in-flight batches.
    const second = spawnWriter({ ...settings, METRICS_PORT: '4216' });
    children.push(second);
    await waitFor('second writer assigned', () => assigned(4216));
    await produce(producer, topic, [...records(4000, 8000), ...records(0, 300)]);

    // The first leaves mid-stream: it drains, and its partitions move back.
    first.process.kill('SIGTERM');
    await produce(producer, topic, records(8000, 10_000));
    expect(await first.exited).toBe(0);
    await waitFor('all rows stored', async () => (await storedIds(db, table)).length >= 10_000);

    expect(await storedIds(db, table)).toEqual(expectedIds(10_000));
  }, 150_000);
});
