import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureKafkaJars, ensureTopic, launchKafka, type KafkaSecurity } from './kafka.js';
import { layout } from './layout.js';
import { databaseUrl, launchPostgres, preparePostgres, stopPostgres } from './postgres.js';
import { stopProcess, waitFor } from './proc.js';
import { ensureCluster, launchRedis } from './redis.js';
import { isAlive, type ServiceProcess } from './state.js';
import type { TestCertificates } from './tls.js';

/**
 * Private, throw-away service instances for fault and TLS tests. A test that
 * stops, kills or starves a service must never do it to the shared local
 * stack, whose Kafka and PostgreSQL other suites are using at the same moment;
 * it starts one of these on its own ports and data folder instead.
 */
export interface ScratchService {
  /** Settings pointing a process at this instance (KAFKA_*, DATABASE_URL or REDIS_*). */
  env: Record<string, string>;
  /** Starts it again on the data it had, and waits until it is usable. */
  start(): Promise<void>;
  /** Stops it gracefully and waits until it is gone. */
  stop(): Promise<void>;
  /** SIGKILL, no waiting: a crash. */
  kill(): void;
}

const quiet = (): void => {};

function killAll(procs: (ServiceProcess | undefined)[]): void {
  for (const proc of procs)
    if (proc !== undefined && isAlive(proc)) process.kill(proc.pid, 'SIGKILL');
}

export interface ScratchKafkaOptions {
  dir: string;
  port: number;
  controllerPort: number;
  /** Topics created (if missing) every time the broker becomes ready. Default chat.messages, 3 partitions. */
  topics?: { topic: string; partitions: number }[];
  /** SASL/SCRAM over TLS on `port`; the admin work goes through the plaintext `internalPort`. */
  security?: KafkaSecurity;
}

export async function startScratchKafka(options: ScratchKafkaOptions): Promise<ScratchService> {
  const paths = layout();
  const libs = ensureKafkaJars(paths, quiet);
  const { security } = options;
  const adminBroker = `127.0.0.1:${security?.internalPort ?? options.port}`;
  mkdirSync(options.dir, { recursive: true });
  let proc: ServiceProcess | undefined;

  const start = async (): Promise<void> => {
    if (proc !== undefined && isAlive(proc)) return;
    proc = launchKafka(options.dir, options, libs, paths.kafkaLog4j, quiet, security);
    const topics = options.topics ?? [{ topic: 'chat.messages', partitions: 3 }];
    for (const { topic, partitions } of topics) await ensureTopic(topic, partitions, adminBroker);
  };

  await start();
  const env: Record<string, string> = { KAFKA_BROKERS: `127.0.0.1:${options.port}` };
  if (security !== undefined) {
    Object.assign(env, {
      KAFKA_SSL: 'true',
      KAFKA_CA_FILE: security.tls.caFile,
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: security.scram.username,
      KAFKA_SASL_PASSWORD: security.scram.password,
    });
  }
  return {
    env,
    start,
    stop: async () => {
      if (proc !== undefined) await stopProcess(proc, 30000);
    },
    kill: () => killAll([proc]),
  };
}

export interface ScratchPostgresOptions {
  dir: string;
  port: number;
  /** TLS only (`hostssl`), clients verify with `sslmode=verify-full` against this CA. */
  tls?: TestCertificates;
}

/** A PostgreSQL server with the `parley` database and every migration applied. */
export async function startScratchPostgres(
  options: ScratchPostgresOptions,
): Promise<ScratchService> {
  const paths = layout();
  const dataDir = join(options.dir, 'pg');
  mkdirSync(options.dir, { recursive: true });
  // The server runs as the postgres user, who must be able to enter the folder.
  chmodSync(options.dir, 0o755);
  const { tls } = options;
  const query =
    tls === undefined ? '' : `?sslmode=verify-full&sslrootcert=${encodeURIComponent(tls.caFile)}`;
  let proc: ServiceProcess | undefined;

  const start = async (): Promise<void> => {
    if (proc !== undefined && isAlive(proc)) return;
    proc = launchPostgres(dataDir, options.port, quiet, tls);
    await preparePostgres(paths.migrations, options.port, query);
  };

  await start();
  return {
    env: { DATABASE_URL: databaseUrl(undefined, options.port) + query },
    start,
    stop: async () => {
      if (proc === undefined || !isAlive(proc)) return;
      stopPostgres(dataDir);
      const stopped = proc;
      await waitFor('PostgreSQL to exit', () => !isAlive(stopped), 30000, 50);
    },
    kill: () => killAll([proc]),
  };
}

export interface ScratchRedisOptions {
  dir: string;
  /** One master per port. */
  ports: number[];
  tls?: TestCertificates;
  password?: string;
}

/** A Redis Cluster of `ports.length` masters, optionally TLS-only with a password. */
export async function startScratchRedisCluster(
  options: ScratchRedisOptions,
): Promise<ScratchService> {
  const nodeOptions = {
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.password === undefined ? {} : { password: options.password }),
  };
  const procs = new Map<number, ServiceProcess>();

  const start = async (): Promise<void> => {
    for (const port of options.ports) {
      const known = procs.get(port);
      if (known !== undefined && isAlive(known)) continue;
      procs.set(port, launchRedis(join(options.dir, String(port)), port, nodeOptions));
    }
    await ensureCluster(options.ports, nodeOptions);
  };

  await start();
  const env: Record<string, string> = {
    REDIS_NODES: options.ports.map((p) => `127.0.0.1:${p}`).join(','),
  };
  if (options.tls !== undefined)
    Object.assign(env, { REDIS_TLS: 'true', REDIS_CA_FILE: options.tls.caFile });
  if (options.password !== undefined) env.REDIS_PASSWORD = options.password;
  return {
    env,
    start,
    stop: async () => {
      for (const proc of procs.values()) await stopProcess(proc);
    },
    kill: () => killAll([...procs.values()]),
  };
}
