import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  layout,
  makeTestCertificates,
  startScratchKafka,
  startScratchPostgres,
  startScratchRedisCluster,
  type ScratchService,
} from '@parley/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatClient } from './harness/client.js';
import { settleAndCheck } from './harness/oracle.js';
import { startNode, startWriter, type Proc } from './harness/processes.js';
import { uid, waitFor } from './harness/wait.js';

/**
 * Managed services (issue 7): the real chat nodes and writer, configured only
 * through their environment, run against a Redis Cluster that speaks nothing
 * but TLS and wants a password, Kafka with SASL/SCRAM over TLS, and
 * PostgreSQL that refuses connections without TLS — all verifying a CA this
 * test makes. Messages cross nodes, are acknowledged, stored and served back.
 */
const PORTS = {
  postgres: 4780,
  redis: [4781, 4782, 4783],
  kafka: 4784,
  kafkaController: 4785,
  kafkaInternal: 4786,
  writer: 4787,
  nodes: [4788, 4789],
};
const TOPIC = 'chat.tls';

describe('managed services: TLS and SASL everywhere', () => {
  const run = uid();
  const prefix = `tls${run}-`;
  const room = `tls-${run}`;
  // Under .stack, not /tmp: the scratch PostgreSQL runs as the postgres user, who must enter it.
  const dir = mkdtempSync(join(layout().stack, 'faults-tls-'));
  chmodSync(dir, 0o755);
  const services: ScratchService[] = [];
  const procs: Proc[] = [];
  const clients: ChatClient[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    const tls = makeTestCertificates(join(dir, 'certs'));
    const [postgres, redis, kafka] = await Promise.all([
      startScratchPostgres({ dir: join(dir, 'pg'), port: PORTS.postgres, tls }),
      startScratchRedisCluster({
        dir: join(dir, 'redis'),
        ports: PORTS.redis,
        tls,
        password: `redis-${run}`,
      }),
      startScratchKafka({
        dir: join(dir, 'kafka'),
        port: PORTS.kafka,
        controllerPort: PORTS.kafkaController,
        topics: [{ topic: TOPIC, partitions: 3 }],
        security: {
          tls,
          internalPort: PORTS.kafkaInternal,
          scram: { username: 'parley', password: `kafka-${run}` },
        },
      }),
    ]);
    services.push(postgres, redis, kafka);
    env = { ...postgres.env, ...redis.env, ...kafka.env, KAFKA_TOPIC: TOPIC };

    procs.push(await startWriter(PORTS.writer, { ...env, KAFKA_GROUP_ID: `tls-${run}` }));
    for (const port of PORTS.nodes) {
      procs.push(await startNode(port, { ...env, REDIS_CHANNEL_PREFIX: `tls-${run}` }));
    }
  });

  afterAll(async () => {
    clients.forEach((c) => c.close());
    await Promise.all(procs.map((p) => p.stop()));
    for (const service of services) await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('acknowledges, fans out across nodes, stores and serves history', async () => {
    expect(env.DATABASE_URL).toMatch(/sslmode=verify-full/);
    expect(env.KAFKA_SASL_MECHANISM).toBe('scram-sha-256');
    expect(env.REDIS_TLS).toBe('true');

    const urls = PORTS.nodes.map((p) => `http://127.0.0.1:${p}`);
    const [sender, reader] = [
      new ChatClient('ada', [urls[0] ?? '']),
      new ChatClient('bob', [urls[1] ?? '']),
    ];
    clients.push(sender, reader);
    for (const c of clients) {
      await c.connect();
      await c.join(room);
    }

    const ids = Array.from({ length: 10 }, (_, i) => `${prefix}${i}`);
    for (const id of ids) sender.send(id, room, `over tls ${id}`);

    const { acked, stored } = await settleAndCheck(clients, env.DATABASE_URL ?? '', prefix);
    expect(acked.sort()).toEqual([...ids].sort());
    expect(stored).toEqual({ rows: ids.length, duplicated: 0, lost: [] });
    await waitFor('the other node to deliver every message', () =>
      ids.every((id) => reader.received.some((m) => m.id === id)),
    );

    const res = await fetch(`${urls[1]}/api/rooms/${room}/messages?limit=50`);
    const history = (await res.json()) as { messages: { id: string }[] };
    expect(history.messages.map((m) => m.id).sort()).toEqual([...ids].sort());
  });
});
