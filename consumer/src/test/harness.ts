import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import pg from 'pg';
import { encodeRecord } from '@parley/protocol';
import { createLogger, serviceEnv, waitFor as pollUntil } from '@parley/runtime';
import { parseWriterConfig, type WriterConfig } from '../config.js';

/** Settings of the running local stack (or of the environment). */
export const env = serviceEnv();

/** Quiet logger for in-process writers: tests read state, not logs. */
export const testLogger = createLogger({ service: 'writer-test' }, 'error');

export function suffix(): string {
  return randomUUID().replaceAll('-', '').slice(0, 12);
}

export function kafka(): Kafka {
  return new Kafka({
    clientId: 'writer-test',
    brokers: (env.KAFKA_BROKERS ?? '').split(','),
    logLevel: logLevel.NOTHING,
  });
}

export async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopic(topic: string): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] });
  } catch {
    // Best effort: a leftover test topic is harmless.
  } finally {
    await admin.disconnect();
  }
}

/** A scratch copy of `messages` (same columns, keys and indexes) owned by one test. */
export async function createScratchTable(db: pg.ClientBase, table: string): Promise<void> {
  await db.query(`CREATE TABLE ${table} (LIKE messages INCLUDING ALL)`);
}

export function writerTestConfig(overrides: Record<string, string>): WriterConfig {
  return parseWriterConfig({ ...env, METRICS_PORT: '0', ...overrides });
}

export interface TestRecord {
  key: string | Buffer | null;
  value: string | Buffer | null;
}

/** A valid chat record as a chat node would produce it. */
export function chatRecord(
  id: string,
  room: string,
  body = `hello ${id}`,
  ts = Date.now(),
): TestRecord {
  return { key: room, value: encodeRecord({ id, room, from: 'alice', body, ts }, 'node-test') };
}

export async function produce(
  producer: Producer,
  topic: string,
  records: TestRecord[],
): Promise<void> {
  for (let i = 0; i < records.length; i += 500) {
    await producer.send({ topic, acks: -1, messages: records.slice(i, i + 500) });
  }
}

/** Polls `check` until it returns true or the deadline passes; no fixed sleeps. */
/** The shared poller with this harness's defaults: 60 s for a step, checked every 100 ms. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  deadlineMs = 60_000,
): Promise<void> {
  await pollUntil(what, check, deadlineMs, 100);
}

export async function storedIds(db: pg.ClientBase, table: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM ${table} ORDER BY id`);
  return rows.map((r) => r.id);
}

export async function deadLetterCount(db: pg.ClientBase, topic: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    'SELECT count(*) AS n FROM dead_letters WHERE topic = $1',
    [topic],
  );
  return Number(rows[0]?.n ?? 0);
}

export async function connectDb(url = env.DATABASE_URL): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/** Reads a writer's /metrics and returns the value of one unlabelled series, or undefined. */
export async function scrape(port: number, name: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}
