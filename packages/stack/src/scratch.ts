import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureKafkaJars, ensureTopic, launchKafka } from './kafka.js';
import { layout } from './layout.js';
import { databaseUrl, launchPostgres, preparePostgres, stopPostgres } from './postgres.js';
import { stopProcess, waitFor } from './proc.js';
import { isAlive, type ServiceProcess } from './state.js';

/**
 * Private, throw-away service instances for fault tests. A test that stops,
 * kills or starves a service must never do it to the shared local stack, whose
 * Kafka and PostgreSQL other suites are using at the same moment; it starts
 * one of these on its own ports and data folder instead.
 */
export interface ScratchService {
  /** Settings pointing a process at this instance (KAFKA_BROKERS or DATABASE_URL). */
  env: Record<string, string>;
  /** Starts it again on the data it had, and waits until it is usable. */
  start(): Promise<void>;
  /** Stops it gracefully and waits until it is gone. */
  stop(): Promise<void>;
  /** SIGKILL, no waiting: a crash. */
  kill(): void;
}

const quiet = (): void => {};

export interface ScratchKafkaOptions {
  dir: string;
  port: number;
  controllerPort: number;
  /** Topics created (if missing) every time the broker becomes ready. */
  topics?: { topic: string; partitions: number }[];
}

export async function startScratchKafka(options: ScratchKafkaOptions): Promise<ScratchService> {
  const paths = layout();
  const libs = ensureKafkaJars(paths, quiet);
  const broker = `127.0.0.1:${options.port}`;
  mkdirSync(options.dir, { recursive: true });
  let proc: ServiceProcess | undefined;

  const start = async (): Promise<void> => {
    if (proc !== undefined && isAlive(proc)) return;
    proc = launchKafka(options.dir, options, libs, paths.kafkaLog4j, quiet);
    const topics = options.topics ?? [{ topic: 'chat.messages', partitions: 3 }];
    for (const { topic, partitions } of topics) await ensureTopic(topic, partitions, broker);
  };

  await start();
  return {
    env: { KAFKA_BROKERS: broker },
    start,
    stop: async () => {
      if (proc !== undefined) await stopProcess(proc, 30000);
    },
    kill: () => {
      if (proc !== undefined && isAlive(proc)) process.kill(proc.pid, 'SIGKILL');
    },
  };
}

export interface ScratchPostgresOptions {
  dir: string;
  port: number;
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
  let proc: ServiceProcess | undefined;

  const start = async (): Promise<void> => {
    if (proc !== undefined && isAlive(proc)) return;
    proc = launchPostgres(dataDir, options.port, quiet);
    await preparePostgres(paths.migrations, options.port);
  };

  await start();
  return {
    env: { DATABASE_URL: databaseUrl(undefined, options.port) },
    start,
    stop: async () => {
      if (proc === undefined || !isAlive(proc)) return;
      stopPostgres(dataDir);
      const stopped = proc;
      await waitFor('PostgreSQL to exit', () => !isAlive(stopped), 30000, 50);
    },
    kill: () => {
      if (proc !== undefined && isAlive(proc)) process.kill(proc.pid, 'SIGKILL');
    },
  };
}
