import type { Producer } from 'kafkajs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWriter } from './writer.js';
import {
  chatRecord,
  connectDb,
  createScratchTable,
  createTopic,
  deadLetterCount,
  deleteTopic,
  kafka,
  produce,
  storedIds,
  suffix,
  waitFor,
  writerTestConfig,
  testLogger,
  type TestRecord,
} from './test/harness.js';

/** Every kind of record the writer must refuse, each with the reason it must be filed under. */
function poisonRecords(tag: string): { record: TestRecord; reason: string }[] {
  const good = JSON.parse(chatRecord(`${tag}-p`, 'room-p').value as string) as Record<
    string,
    unknown
  >;
  const json = (patch: Record<string, unknown>): string => JSON.stringify({ ...good, ...patch });
  return [
    { reason: 'not_utf8', record: { key: 'k', value: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) } },
    { reason: 'not_json', record: { key: 'k', value: '{"v":1,' } },
    { reason: 'wrong_shape', record: { key: 'k', value: json({ id: 'bad id with spaces' }) } },
    { reason: 'wrong_shape', record: { key: 'k', value: null } },
    { reason: 'unsupported_version', record: { key: 'k', value: json({ v: 2 }) } },
    { reason: 'nul_character', record: { key: 'k', value: json({ body: 'a\u0000b' }) } },
    { reason: 'nul_character', record: { key: 'k', value: json({ node: 'n\u0000' }) } },
    { reason: 'oversized', record: { key: 'k', value: json({ body: 'x'.repeat(70 * 1024) }) } },
  ];
}

describe('writer (in-process, real Kafka and PostgreSQL)', () => {
  const tag = suffix();
  const topic = `writer-test-${tag}`;
  const table = `writer_t_${tag}`;
  let db: pg.Client;
  let producer: Producer;

  beforeAll(async () => {
    db = await connectDb();
    await createScratchTable(db, table);
    await createTopic(topic, 4);
    producer = kafka().producer({ idempotent: false });
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await db.query(`DROP TABLE IF EXISTS ${table}`);
    await db.query('DELETE FROM dead_letters WHERE topic = $1', [topic]);
    await db.end();
    await deleteTopic(topic);
  });

  it('stores exactly the unique valid records plus one dead letter per poison record', async () => {
    const unique = 600;
    const records: TestRecord[] = [];
    for (let i = 0; i < unique; i++) records.push(chatRecord(`${tag}-${i}`, `room-${i % 7}`));
    // Resends of the same ids: some in the same room (same partition), some far apart.
    for (let i = 0; i < unique; i += 3) records.push(chatRecord(`${tag}-${i}`, `room-${i % 7}`));
    const poison = poisonRecords(tag);
    records.splice(100, 0, ...poison.slice(0, 4).map((p) => p.record));
    records.splice(400, 0, ...poison.slice(4).map((p) => p.record));
    await produce(producer, topic, records);

    const config = writerTestConfig({
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: `writer-test-${tag}`,
      WRITER_TABLE: table,
      BATCH_MAX_ROWS: '100',
    });
    const writer = await startWriter(config, { logger: testLogger });
    try {
      await waitFor('rows and dead letters', async () => {
        const ids = await storedIds(db, table);
        return ids.length >= unique && (await deadLetterCount(db, topic)) >= poison.length;
      });
      // The committed offsets cover the whole topic: nothing is left to be read again.
      await waitFor('offsets committed', async () => (await lagOf(writer.metrics)) === 0);
    } finally {
      expect((await writer.stop()).drained).toBe(true);
    }

    const ids = await storedIds(db, table);
    expect(ids).toEqual(Array.from({ length: unique }, (_, i) => `${tag}-${i}`).sort());
    const { rows } = await db.query<{ reason: string; payload: Buffer | null }>(
      'SELECT reason, payload FROM dead_letters WHERE topic = $1 ORDER BY "partition", "offset"',
      [topic],
    );
    expect(rows.map((r) => r.reason).sort()).toEqual(poison.map((p) => p.reason).sort());
    const notUtf8 = rows.find((r) => r.reason === 'not_utf8');
    expect(notUtf8?.payload?.equals(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toBe(true);

    const metricsText = await writer.metrics.registry.metrics();
    expect(metricsText).toContain(`writer_rows_written_total ${unique}`);
    expect(metricsText).toContain(`writer_dead_letters_total ${poison.length}`);
    expect(metricsText).toContain(`writer_duplicates_skipped_total ${Math.ceil(unique / 3)}`);
  });

  it('serves every metric of INTERFACES.md from the start, at zero', async () => {
    const writer = await startWriter(
      writerTestConfig({
        KAFKA_TOPIC: topic,
        KAFKA_GROUP_ID: `writer-metrics-${tag}`,
        WRITER_TABLE: table,
      }),
      { logger: testLogger },
    );
    try {
      await waitFor('partitions assigned', async () => (await lagOf(writer.metrics)) >= 0);
      const text = await (await fetch(`http://127.0.0.1:${writer.metricsPort}/metrics`)).text();
      for (const series of [
        'writer_rows_written_total',
        'writer_duplicates_skipped_total',
        'writer_dead_letters_total',
        'writer_batch_rows_count',
        'writer_flush_duration_seconds_count',
        'writer_persist_lag_seconds_count',
        'writer_consumer_lag_messages{partition="0"}',
      ]) {
        expect(text).toMatch(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} \\d`, 'm'));
      }
      expect((await fetch(`http://127.0.0.1:${writer.metricsPort}/healthz`)).status).toBe(200);
    } finally {
      await writer.stop();
    }
  });

  it('dead-letters a row the database refuses and keeps the partition moving', async () => {
    const strict = `writer_strict_${tag}`;
    await createScratchTable(db, strict);
    await db.query(`ALTER TABLE ${strict} ADD CONSTRAINT no_refused CHECK (body <> 'refused')`);
    const strictTopic = `${topic}-strict`;
    await createTopic(strictTopic, 1);
    const records = [chatRecord(`${tag}-s1`, 'r'), chatRecord(`${tag}-s2`, 'r', 'refused')];
    records.push(chatRecord(`${tag}-s3`, 'r'));
    await produce(producer, strictTopic, records);

    const writer = await startWriter(
      writerTestConfig({
        KAFKA_TOPIC: strictTopic,
        KAFKA_GROUP_ID: strictTopic,
        WRITER_TABLE: strict,
      }),
      { logger: testLogger },
    );
    try {
      await waitFor('all three records handled', async () => {
        const rows = await storedIds(db, strict);
        return rows.length === 2 && (await deadLetterCount(db, strictTopic)) === 1;
      });
      await waitFor('offsets committed', async () => (await lagOf(writer.metrics)) === 0);
    } finally {
      await writer.stop();
      await db.query(`DROP TABLE IF EXISTS ${strict}`);
    }
    const { rows } = await db.query<{ reason: string; offset: string }>(
      'SELECT reason, "offset" FROM dead_letters WHERE topic = $1',
      [strictTopic],
    );
    await db.query('DELETE FROM dead_letters WHERE topic = $1', [strictTopic]);
    await deleteTopic(strictTopic);
    expect(rows).toEqual([{ reason: 'rejected_by_database', offset: '1' }]);
  });

  it('reading the topic again from the start changes nothing', async () => {
    const before = await storedIds(db, table);
    const config = writerTestConfig({
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: `writer-test-replay-${tag}`,
      WRITER_TABLE: table,
    });
    const writer = await startWriter(config, { logger: testLogger });
    try {
      await waitFor('replay consumed', async () => {
        const text = await writer.metrics.registry.metrics();
        return (
          /writer_duplicates_skipped_total (\d+)/.exec(text)?.[1] === String(before.length + 200)
        );
      });
    } finally {
      await writer.stop();
    }
    expect(await storedIds(db, table)).toEqual(before);
    expect(await deadLetterCount(db, topic)).toBe(8);
  });
});

async function lagOf(metrics: {
  registry: { getSingleMetric(name: string): unknown };
}): Promise<number> {
  const gauge = metrics.registry.getSingleMetric('writer_consumer_lag_messages') as {
    get(): Promise<{ values: { value: number }[] }>;
  };
  const { values } = await gauge.get();
  return values.length === 0 ? -1 : values.reduce((sum, v) => sum + v.value, 0);
}
