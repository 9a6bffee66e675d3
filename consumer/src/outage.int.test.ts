import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { startScratchPostgres, type ScratchService } from '@parley/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnWriter, stopChild, type ChildWriter } from './test/child.js';
import {
  chatRecord,
  connectDb,
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
 * PostgreSQL goes away mid-stream. The shared database must never be stopped,
 * so the writer under test points at a private scratch server (Kafka is shared).
 */
describe('writer during a PostgreSQL outage', () => {
  const tag = suffix();
  const topic = `writer-outage-${tag}`;
  const dir = join(tmpdir(), `parley-writer-outage-${tag}`);
  const metricsPort = 4214;
  let pg: ScratchService;
  let producer: Producer;
  let child: ChildWriter | undefined;

  beforeAll(async () => {
    pg = await startScratchPostgres({ dir, port: 15_487 });
    await createTopic(topic, 4);
    producer = kafka().producer();
    await producer.connect();
  }, 180_000);

  afterAll(async () => {
    if (child !== undefined) await stopChild(child);
    await producer?.disconnect();
    await deleteTopic(topic);
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  function records(from: number, to: number): TestRecord[] {
    const out: TestRecord[] = [];
    for (let i = from; i < to; i++) out.push(chatRecord(`${tag}-${i}`, `room-${i % 5}`));
    return out;
  }

  async function count(): Promise<number> {
    const db = await connectDb(pg.env.DATABASE_URL);
    try {
      return (await storedIds(db, 'messages')).length;
    } finally {
      await db.end();
    }
  }

  it('stops committing, keeps the process alive and stores exactly the same rows', async () => {
    await produce(producer, topic, records(0, 3000));
    const writer = spawnWriter({
      ...pg.env,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: `writer-outage-${tag}`,
      METRICS_PORT: String(metricsPort),
      BATCH_MAX_ROWS: '100',
      BATCH_MAX_WAIT_MS: '20',
      RETRY_INITIAL_MS: '200',
      RETRY_MAX_MS: '1000',
    });
    child = writer;
    await waitFor('some rows stored', async () => (await count()) >= 300, 60_000);

    // 1. The database goes down mid-stream while records keep arriving.
    await pg.stop();
    const downAtMs = Date.now();
    await produce(producer, topic, [...records(3000, 5000), ...records(0, 200)]);
    // The outage lasts several seconds and the writer must have noticed it repeatedly.
    await waitFor(
      'several seconds of failed flush attempts',
      async () =>
        Date.now() - downAtMs >= 5000 &&
        ((await scrape(metricsPort, 'writer_flush_retries_total')) ?? 0) >= 5,
    );
    expect(writer.process.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(200);

    // 2. It comes back; every record is stored once, none twice.
    await pg.start();
    await waitFor('all rows stored', async () => (await count()) >= 5000, 90_000);
    const db = await connectDb(pg.env.DATABASE_URL);
    try {
      const expected = Array.from({ length: 5000 }, (_, i) => `${tag}-${i}`).sort();
      expect(await storedIds(db, 'messages')).toEqual(expected);
    } finally {
      await db.end();
    }
    expect(writer.process.exitCode).toBeNull();

    writer.process.kill('SIGTERM');
    expect(await writer.exited).toBe(0);
  }, 240_000);
});
