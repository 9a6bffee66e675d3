import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Cluster } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceEnv, splitHostPort } from '@parley/runtime';

// The foundation's contract: the local stack's three services are real and
// usable by the libraries the rest of Parley is built on.
const env = serviceEnv();
const required = ['REDIS_NODES', 'KAFKA_BROKERS', 'DATABASE_URL'] as const;
for (const key of required) {
  if (env[key] === undefined)
    throw new Error(`${key} is not set: run \`npm run stack -- up\` or \`npm test\``);
}

describe('Redis Cluster (integration)', () => {
  let cluster: Cluster;
  let subscriber: Cluster;

  beforeAll(async () => {
    const nodes = (env.REDIS_NODES as string).split(',').map(splitHostPort);
    cluster = new Cluster(nodes);
    subscriber = new Cluster(nodes, { shardedSubscribers: true });
    await Promise.all([cluster.ping(), subscriber.ping()]);
  });

  afterAll(() => {
    cluster.disconnect();
    subscriber.disconnect();
  });

  it('reports cluster_state:ok with every slot served by three masters', async () => {
    const info = await cluster.cluster('INFO');
    expect(info).toMatch(/cluster_state:ok/);
    expect(info).toMatch(/cluster_slots_assigned:16384/);
    expect(cluster.nodes('master')).toHaveLength(3);
  });

  it('delivers SPUBLISH to SSUBSCRIBE on channels owned by two different masters', async () => {
    // Find two channels whose slots live on different masters.
    const owners = new Map<string, string>();
    for (let i = 0; owners.size < 2 && i < 1000; i++) {
      const channel = `it:${randomUUID()}`;
      const slot = Number(await cluster.cluster('KEYSLOT', channel));
      const shards = (await cluster.cluster('SHARDS')) as unknown[];
      const owner = ownerOfSlot(shards, slot);
      if (![...owners.values()].includes(owner)) owners.set(channel, owner);
    }
    expect(owners.size).toBe(2);

    const channels = [...owners.keys()];
    const received: string[] = [];
    subscriber.on('smessage', (channel: string, message: string) =>
      received.push(`${channel}=${message}`),
    );
    for (const channel of channels) await subscriber.ssubscribe(channel);

    for (const channel of channels) await cluster.spublish(channel, 'hello');
    await waitUntil(() => received.length === 2);
    expect(received.sort()).toEqual(channels.map((c) => `${c}=hello`).sort());
  });
});

describe('Kafka (integration)', () => {
  it('consumes in a group what an idempotent producer wrote, and commits the offsets', async () => {
    const kafka = new Kafka({
      clientId: 'it-stack',
      brokers: (env.KAFKA_BROKERS as string).split(','),
      logLevel: logLevel.NOTHING,
    });
    const topic = `it.stack.${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = Array.from({ length: 30 }, (_, i) => `m${i}`);
    await producer.send({
      topic,
      acks: -1,
      messages: sent.map((value, i) => ({ key: `k${i % 5}`, value })),
    });

    const groupId = `it-stack-${randomUUID()}`;
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        for (const message of batch.messages) {
          seen.push(String(message.value));
          resolveOffset(message.offset);
        }
        const next = (BigInt(batch.lastOffset()) + 1n).toString();
        await consumer.commitOffsets([{ topic, partition: batch.partition, offset: next }]);
      },
    });
    await waitUntil(() => seen.length === sent.length, 30000);
    await consumer.stop();

    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const total = committed[0]?.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(seen.sort()).toEqual([...sent].sort());
    expect(total).toBe(sent.length);

    await Promise.all([consumer.disconnect(), producer.disconnect()]);
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });
});

describe('PostgreSQL (integration)', () => {
  it('reads back with SELECT what COPY FROM STDIN wrote', async () => {
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      await client.query('CREATE TEMP TABLE it_copy (id int, body text)');
      const rows = ['plain', 'tab\\there', 'emoji \u{1F600}'];
      const text = rows.map((body, i) => `${i}\t${body}\n`).join('');
      await pipeline(Readable.from([text]), client.query(copyFrom('COPY it_copy FROM STDIN')));

      const { rows: out } = await client.query<{ body: string }>(
        'SELECT body FROM it_copy ORDER BY id',
      );
      expect(out.map((r) => r.body)).toEqual(['plain', 'tab\there', 'emoji \u{1F600}']);

      const migrated = await client.query(
        "SELECT 1 FROM schema_migrations WHERE name = '0001_messages.sql'",
      );
      expect(migrated.rowCount).toBe(1);
    } finally {
      await client.end();
    }
  });
});

function ownerOfSlot(shards: unknown[], slot: number): string {
  for (const shard of shards as [string, number[], string, Array<Array<string | number>>][]) {
    const ranges = shard[1];
    for (let i = 0; i < ranges.length; i += 2) {
      if (slot >= (ranges[i] as number) && slot <= (ranges[i + 1] as number)) {
        const node = shard[3][0] as (string | number)[];
        return String(node[node.indexOf('port') + 1]);
      }
    }
  }
  throw new Error(`no shard serves slot ${slot}`);
}

async function waitUntil(check: () => boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
