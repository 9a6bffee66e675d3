import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKafka,
  createPgPool,
  createRedis,
  databaseSettings,
  kafkaSettings,
  parseConfig,
  redisSettings,
} from '@parley/runtime';
import { layout } from './layout.js';
import {
  startScratchKafka,
  startScratchPostgres,
  startScratchRedisCluster,
  type ScratchService,
} from './scratch.js';
import { makeTestCertificates, type TestCertificates } from './tls.js';

// Managed Redis, Kafka and PostgreSQL mean TLS and passwords everywhere. These
// tests start scratch instances that refuse anything else, with a CA made here,
// and prove that Parley's client factories (what every process uses) connect to
// them from settings alone — and that they verify what they connect to.
const dir = mkdtempSync(join(layout().stack, 'tls-'));
// The scratch PostgreSQL runs as the postgres user, who must be able to enter it.
chmodSync(dir, 0o755);
const services: ScratchService[] = [];
let certs: TestCertificates;
let otherCa: TestCertificates;

beforeAll(() => {
  certs = makeTestCertificates(join(dir, 'certs'));
  otherCa = makeTestCertificates(join(dir, 'other'));
});

afterAll(async () => {
  for (const service of services) await service.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('PostgreSQL over TLS (integration)', () => {
  let service: ScratchService;

  beforeAll(async () => {
    service = await startScratchPostgres({ dir: join(dir, 'pg'), port: 4514, tls: certs });
    services.push(service);
  });

  it('connects with sslmode=verify-full against the CA', async () => {
    const pool = createPgPool(parseConfig(databaseSettings, service.env), 'tls-test');
    try {
      const { rows } = await pool.query<{ ssl: boolean }>(
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      expect(rows).toEqual([{ ssl: true }]);
    } finally {
      await pool.end();
    }
  });

  it('is refused without TLS and when the server is signed by another CA', async () => {
    const url = service.env.DATABASE_URL as string;
    const plain = url.replace(/\?.*$/, '?sslmode=disable');
    const wrongCa = url.replace(
      /sslrootcert=[^&]+/,
      `sslrootcert=${encodeURIComponent(otherCa.caFile)}`,
    );
    for (const DATABASE_URL of [plain, wrongCa]) {
      const pool = createPgPool(parseConfig(databaseSettings, { DATABASE_URL }), 'tls-test');
      await expect(pool.query('SELECT 1')).rejects.toThrow();
      await pool.end();
    }
  });
});

describe('Redis Cluster over TLS with a password (integration)', () => {
  let service: ScratchService;

  beforeAll(async () => {
    const ports = [4511, 4512, 4513];
    service = await startScratchRedisCluster({
      dir: join(dir, 'redis'),
      ports,
      tls: certs,
      password: 'redis-secret',
    });
    services.push(service);
  });

  it('delivers sharded pub/sub through clients built from settings', async () => {
    const settings = parseConfig(redisSettings, service.env);
    const publisher = createRedis(settings);
    const subscriber = createRedis(settings, { shardedSubscribers: true });
    try {
      const received = new Promise<string>((resolve) => {
        subscriber.on('smessage', (_channel: string, message: string) => resolve(message));
      });
      await subscriber.ssubscribe('tls:room');
      await publisher.spublish('tls:room', 'over tls');
      expect(await received).toBe('over tls');
    } finally {
      publisher.disconnect();
      subscriber.disconnect();
    }
  });

  it('is refused with a wrong password', async () => {
    const settings = parseConfig(redisSettings, { ...service.env, REDIS_PASSWORD: 'wrong' });
    const client = createRedis(settings, { lazyConnect: true });
    client.on('error', () => {}); // the refusal is asserted below; retries would only add noise
    await expect(client.connect().then(() => client.ping())).rejects.toThrow();
    client.disconnect();
  });
});

describe('Kafka with SASL/SCRAM over TLS (integration)', () => {
  let service: ScratchService;
  const topic = 'tls.chat';

  beforeAll(async () => {
    service = await startScratchKafka({
      dir: join(dir, 'kafka'),
      port: 4515,
      controllerPort: 4516,
      topics: [{ topic, partitions: 1 }],
      security: {
        tls: certs,
        internalPort: 4517,
        scram: { username: 'parley', password: 'kafka-secret' },
      },
    });
    services.push(service);
  });

  it('produces and consumes through a client built from settings', async () => {
    const kafka = createKafka(parseConfig(kafkaSettings, service.env), 'tls-test');
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'r', value: 'secured' }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'tls-test' });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const value = await new Promise<string>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
    });
    await consumer.disconnect();
    expect(value).toBe('secured');
  });

  it('is refused with a wrong password and with an untrusted CA', async () => {
    const wrongPassword = { ...service.env, KAFKA_SASL_PASSWORD: 'nope' };
    const wrongCa = { ...service.env, KAFKA_CA_FILE: otherCa.caFile };
    for (const env of [wrongPassword, wrongCa]) {
      const admin = createKafka(parseConfig(kafkaSettings, env), 'tls-test').admin();
      await expect(admin.connect()).rejects.toThrow();
      await admin.disconnect();
    }
  });

  it('does not answer plaintext clients on the secured listener', async () => {
    const plain = new Kafka({
      brokers: [service.env.KAFKA_BROKERS as string],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      retry: { retries: 0 },
    }).admin();
    await expect(plain.connect().then(() => plain.listTopics())).rejects.toThrow();
    await plain.disconnect();
  });
});
