import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import type { Layout } from './layout.js';
import { run, startDetached, waitFor } from './proc.js';
import type { ServiceProcess } from './state.js';
import type { TestCertificates } from './tls.js';

/**
 * A Redis Cluster of masters from Debian's redis-server, no replicas. The
 * cluster is created once; each node's nodes.conf keeps it across restarts.
 * Optionally TLS-only (the cluster bus too) and password-protected, the way
 * managed services run it.
 */
export interface RedisNodeOptions {
  tls?: TestCertificates;
  password?: string;
}

export function redisConfig(dir: string, port: number, options: RedisNodeOptions = {}): string {
  const lines = [
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
  ];
  const { tls, password } = options;
  if (tls === undefined) {
    lines.push(`port ${port}`);
  } else {
    lines.push('port 0', `tls-port ${port}`, 'tls-cluster yes', 'tls-auth-clients no');
    lines.push(
      `tls-cert-file ${tls.certFile}`,
      `tls-key-file ${tls.keyFile}`,
      `tls-ca-cert-file ${tls.caFile}`,
    );
  }
  if (password !== undefined) lines.push(`requirepass ${password}`, `masterauth ${password}`);
  return `${lines.join('\n')}\n`;
}

export function launchRedis(
  dir: string,
  port: number,
  options: RedisNodeOptions = {},
): ServiceProcess {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'redis.conf');
  writeFileSync(conf, redisConfig(dir, port, options));
  return startDetached('redis-server', [conf], join(dir, 'redis.log'), port);
}

export function startRedis(paths: Layout, port: number): ServiceProcess {
  return launchRedis(join(paths.stack, 'redis', String(port)), port);
}

function clientOptions(port: number, options: RedisNodeOptions): RedisOptions {
  return {
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(options.tls === undefined ? {} : { tls: { ca: [options.tls.ca] } }),
  };
}

async function clusterInfo(port: number, options: RedisNodeOptions): Promise<string> {
  const client = new Redis(clientOptions(port, options));
  try {
    await client.connect();
    return await client.cluster('INFO');
  } finally {
    client.disconnect();
  }
}

export async function clusterState(port: number, options: RedisNodeOptions = {}): Promise<string> {
  return /cluster_state:(\w+)/.exec(await clusterInfo(port, options))?.[1] ?? 'unknown';
}

/** Waits for every node to answer, creates the cluster if it has no slots, and waits for `ok`. */
export async function ensureCluster(
  ports: readonly number[],
  options: RedisNodeOptions = {},
): Promise<void> {
  for (const port of ports) {
    await waitFor(
      `redis on ${port}`,
      async () => (await clusterInfo(port, options)).length > 0,
      15000,
    );
  }

  const first = ports[0] as number;
  const assigned = Number(
    /cluster_slots_assigned:(\d+)/.exec(await clusterInfo(first, options))?.[1] ?? 0,
  );
  if (assigned === 0) {
    const args = [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
    ];
    args.push('--cluster-yes');
    if (options.tls !== undefined) args.push('--tls', '--cacert', options.tls.caFile);
    const env =
      options.password === undefined
        ? process.env
        : { ...process.env, REDISCLI_AUTH: options.password };
    run('redis-cli', args, { env });
  }

  for (const port of ports) {
    const ok = async (): Promise<boolean> => (await clusterState(port, options)) === 'ok';
    await waitFor(`cluster_state:ok on ${port}`, ok, 30000, 250);
  }
}
