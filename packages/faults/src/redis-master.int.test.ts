import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startScratchRedisCluster, type ScratchService } from '@parley/stack';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatClient } from './harness/client.js';
import { settleAndCheck } from './harness/oracle.js';
import { createTopic, stack, startNode, startWriter, type Proc } from './harness/processes.js';
import { uid, waitFor } from './harness/wait.js';

/**
 * Fault of issue 7: a Redis master killed and restarted. The chat nodes run on
 * a private 3-master cluster (never the shared one); the room is chosen so its
 * sharded pub/sub channel lives on the master that dies, and a member on each
 * node checks that cross-node delivery comes back once the master does.
 */
const REDIS_PORTS = [4790, 4791, 4792];
const VICTIM_PORT = 4791;
const PORTS = { a: 4710, b: 4711, writer: 4712 };

/**
 * The pid of the redis-server listening on `port`. Redis rewrites its process
 * title to `redis-server <host>:<port> [cluster]`, so /proc is enough (no `ss`
 * needed on a bare CI machine).
 */
function redisPid(port: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let title = '';
    try {
      title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    if (title.startsWith('redis-server') && title.includes(`:${port} `)) return Number(entry);
  }
  throw new Error(`no redis-server listens on ${port}`);
}

/** A room whose adapter channel (`<prefix>#/#<room>#`, redis-adapter's dynamic mode) hashes to `port`. */
async function roomOnMaster(nodes: string, prefix: string, port: number): Promise<string> {
  const seeds = nodes
    .split(',')
    .map((hp) => ({ host: '127.0.0.1', port: Number(hp.split(':')[1]) }));
  const cluster = new Cluster(seeds, { lazyConnect: true });
  cluster.on('error', () => undefined); // the victim dies later; this client is gone by then
  await cluster.connect();
  try {
    const slots = (await cluster.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    for (let i = 0; i < 1000; i += 1) {
      const room = `faults-redis-${i}`;
      const slot = Number(await cluster.call('CLUSTER', 'KEYSLOT', `${prefix}#/#${room}#`));
      const owner = slots.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
      if (owner === port) return room;
    }
    throw new Error(`no room maps to ${port}`);
  } finally {
    cluster.disconnect();
  }
}

describe('a Redis master killed and restarted', () => {
  const run = uid();
  const prefix = `fr${run}-`;
  const channelPrefix = `faults-${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'parley-faults-redis-'));
  const procs: Proc[] = [];
  const clients: ChatClient[] = [];
  let redis: ScratchService;
  let a: Proc;
  let b: Proc;

  beforeAll(async () => {
    redis = await startScratchRedisCluster({ dir, ports: REDIS_PORTS });
    const topic = await createTopic('redis');
    const env = { KAFKA_TOPIC: topic, REDIS_CHANNEL_PREFIX: channelPrefix, ...redis.env };
    procs.push(await startWriter(PORTS.writer, { ...env, KAFKA_GROUP_ID: `faults-redis-${run}` }));
    procs.push((a = await startNode(PORTS.a, { ...env, NODE_ID: 'faults-redis-a' })));
    procs.push((b = await startNode(PORTS.b, { ...env, NODE_ID: 'faults-redis-b' })));
  });

  afterAll(async () => {
    clients.forEach((c) => c.close());
    await Promise.all(procs.map((p) => p.stop()));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes cross-node delivery after the master returns, and stores every acked id once', async () => {
    const room = await roomOnMaster(redis.env.REDIS_NODES ?? '', channelPrefix, VICTIM_PORT);
    const x = new ChatClient('xavier', [a.url]);
    const y = new ChatClient('yara', [b.url]);
    clients.push(x, y);
    for (const c of clients) {
      await c.connect();
      await c.join(room);
    }
    let seq = 0;
    const probe = (from: ChatClient) => {
      const id = `${prefix}${from.user}-${(seq += 1)}`;
      from.send(id, room, 'probe');
      return id;
    };
    const sees = (c: ChatClient, ids: string[]) => c.received.some((m) => ids.includes(m.id));

    // 1. Cross-node delivery works before the fault.
    const before = [probe(x), probe(y)];
    await waitFor('delivery across nodes before the fault', () =>
      before.every((id) => [x, y].every((c) => c.received.some((m) => m.id === id))),
    );

    // 2. SIGKILL the master owning the room's channel; traffic continues meanwhile.
    const killedAtMs = Date.now();
    process.kill(redisPid(VICTIM_PORT), 'SIGKILL');
    const during: string[] = [];
    const traffic = setInterval(() => during.push(probe(x), probe(y)), 250);
    // The outage lasts while forty messages go into it (about five seconds).
    await waitFor('messages sent into the outage', () => during.length >= 40, 20_000);
    // A node cannot serve rooms on a dead master, so /readyz (which pings every master) says so.
    const readyz = async () =>
      Promise.all([a, b].map(async (node) => (await fetch(`${node.url}/readyz`)).status));
    const notReadyAfterMs = await waitFor(
      'both nodes to report not ready',
      async () => ((await readyz()).every((s) => s === 503) ? Date.now() - killedAtMs : false),
      15_000,
    );

    // 3. Restart it on the same data; delivery must resume in both directions.
    const restartedAtMs = Date.now();
    await redis.start();
    const probes: { x: string[]; y: string[] } = { x: [], y: [] };
    const resumedAtMs = await waitFor(
      'cross-node delivery after the master returned',
      () => {
        probes.x.push(probe(x));
        probes.y.push(probe(y));
        return sees(y, probes.x) && sees(x, probes.y) ? Date.now() : false;
      },
      60_000,
      250,
    );
    clearInterval(traffic);
    await waitFor('both nodes ready again', async () => (await readyz()).every((s) => s === 200));

    // 4. Every acknowledged id stored exactly once.
    const { acked, stored } = await settleAndCheck(clients, stack.DATABASE_URL ?? '', prefix, {
      storeTimeoutMs: 30_000,
    });
    const undeliveredDuringOutage = during.filter(
      (id) => ![x, y].every((c) => c.received.some((m) => m.id === id)),
    ).length;

    console.log(
      `FAULT-RESULT ${JSON.stringify({
        fault: 'redis master SIGKILL + restart',
        acked: acked.length,
        stored: stored.rows,
        lost: stored.lost.length,
        duplicated: stored.duplicated,
        downMs: restartedAtMs - killedAtMs,
        recoverAfterRestartMs: resumedAtMs - restartedAtMs,
        sentDuringOutage: during.length,
        undeliveredDuringOutage,
        notReadyAfterMs,
      })}`,
    );
    expect(stored.lost).toEqual([]);
    expect(stored.duplicated).toBe(0);
    expect(resumedAtMs - restartedAtMs).toBeLessThan(60_000);
    expect(
      [await fetch(`${a.url}/healthz`), await fetch(`${b.url}/healthz`)].map((r) => r.status),
    ).toEqual([200, 200]);
  });
});
