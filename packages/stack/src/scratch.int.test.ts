import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { layout } from './layout.js';
import { startScratchKafka, startScratchPostgres, type ScratchService } from './scratch.js';

// Scratch instances are what fault tests stop and kill; they must come back on
// the data they had, or those tests would prove nothing.
const dirs: string[] = [];
const services: ScratchService[] = [];

function scratchDir(): string {
  // Under the repo's .stack rather than /tmp: the postgres user must be able to enter it.
  const dir = mkdtempSync(join(layout().stack, 'scratch-'));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const service of services) await service.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('scratch PostgreSQL (integration)', () => {
  it('keeps committed rows across a stop and a start', async () => {
    const service = await startScratchPostgres({ dir: scratchDir(), port: 4501 });
    services.push(service);
    const query = async (sql: string): Promise<pg.QueryResult> => {
      const client = new pg.Client({ connectionString: service.env.DATABASE_URL });
      await client.connect();
      try {
        return await client.query(sql);
      } finally {
        await client.end();
      }
    };

    await query(
      "INSERT INTO messages (id, room, sender, body, created_at) VALUES ('s1', 'r', 'u', 'b', now())",
    );
    await service.stop();
    await expect(query('SELECT 1')).rejects.toThrow();

    await service.start();
    const { rows } = await query("SELECT id FROM messages WHERE id = 's1'");
    expect(rows).toEqual([{ id: 's1' }]);
  });
});

describe('scratch Kafka (integration)', () => {
  it('keeps produced records across a stop and a start', async () => {
    const service = await startScratchKafka({
      dir: scratchDir(),
      port: 4502,
      controllerPort: 4503,
      topics: [{ topic: 'scratch.test', partitions: 1 }],
    });
    services.push(service);
    const kafka = new Kafka({
      brokers: [service.env.KAFKA_BROKERS as string],
      logLevel: logLevel.NOTHING,
    });

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: 'scratch.test', acks: -1, messages: [{ value: 'kept' }] });
    await producer.disconnect();

    await service.stop();
    await service.start();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('scratch.test');
    await admin.disconnect();
    expect(offsets[0]?.high).toBe('1');
  });
});
