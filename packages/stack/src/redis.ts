import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Layout } from './layout.js';
import { PORTS } from './layout.js';
import { run, startDetached, waitFor } from './proc.js';
import type { ServiceProcess } from './state.js';

/**
 * A three-master Redis Cluster from Debian's redis-server, no replicas. The
 * cluster is created once; its nodes.conf files under .stack/redis keep it
 * across restarts.
 */
export function redisConfig(dir: string, port: number): string {
  return [
    `port ${port}`,
    'bind 127.0.0.1',
    'protected-mode no',
    'daemonize no',
    `dir ${dir}`,
    'cluster-enabled yes',
    'cluster-config-file nodes.conf',
    'cluster-node-timeout 5000',
    // The pub/sub fan-out is the point of this cluster; persistence is only so a
    // second `up` finds the same slots, and AOF would be wasted work.
    'appendonly no',
    'save ""',
    'maxmemory 512mb',
    'maxmemory-policy noeviction',
    '',
  ].join('\n');
}

export function startRedis(paths: Layout, port: number): ServiceProcess {
  const dir = join(paths.stack, 'redis', String(port));
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'redis.conf');
  writeFileSync(conf, redisConfig(dir, port));
  return startDetached('redis-server', [conf], join(dir, 'redis.log'), port);
}

async function withClient<T>(port: number, fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

export async function clusterState(port: number): Promise<string> {
  const info = await withClient(port, (c) => c.cluster('INFO'));
  return /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
}

async function assignedSlots(port: number): Promise<number> {
  const info = await withClient(port, (c) => c.cluster('INFO'));
  return Number(/cluster_slots_assigned:(\d+)/.exec(info)?.[1] ?? 0);
}

/** Waits for every node to answer, creates the cluster if it has no slots, and waits for `ok`. */
export async function ensureCluster(): Promise<void> {
  for (const port of PORTS.redis) {
    await waitFor(
      `redis on ${port}`,
      () => withClient(port, async (c) => (await c.ping()) === 'PONG'),
      15000,
    );
  }

  if ((await assignedSlots(PORTS.redis[0])) === 0) {
    const nodes = PORTS.redis.map((p) => `127.0.0.1:${p}`);
    run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes']);
  }

  for (const port of PORTS.redis) {
    await waitFor(
      `cluster_state:ok on ${port}`,
      async () => (await clusterState(port)) === 'ok',
      30000,
      250,
    );
  }
}
