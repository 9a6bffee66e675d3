import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSystemPackages } from './bootstrap.js';
import { ensureKafkaJars, ensureTopic, startKafka } from './kafka.js';
import { PORTS, type Layout } from './layout.js';
import { databaseUrl, preparePostgres, startPostgres, stopPostgres } from './postgres.js';
import { portOpen, StackError, stopProcess, waitFor } from './proc.js';
import { startPrometheus } from './prometheus.js';
import { ensureCluster, startRedis } from './redis.js';
import { isAlive, readState, writeState, type ServiceProcess, type StackState } from './state.js';

export interface UpOptions {
  prometheus: boolean;
  partitions: number;
  topic: string;
  log: (line: string) => void;
}

export interface ServiceStatus {
  name: string;
  port: number;
  pid: number | undefined;
  running: boolean;
}

/**
 * Brings the local stack up, idempotently: services already running (as
 * recorded in .stack/state.json) are left alone, stopped ones are started on
 * the data they had. Ready means usable, not merely listening.
 */
export async function up(paths: Layout, options: UpOptions): Promise<Record<string, number>> {
  const { log } = options;
  mkdirSync(paths.stack, { recursive: true });
  ensureSystemPackages(options.prometheus, log);
  const libs = ensureKafkaJars(paths, log);

  const state = readState(paths.stateFile);
  const launchedAt: Record<string, number> = {};
  const start = async (name: string, port: number, launch: () => ServiceProcess): Promise<void> => {
    launchedAt[name] = Date.now();
    const known = state[name];
    if (known !== undefined && isAlive(known)) return;
    if (await portOpen(port)) {
      throw new StackError(`port ${port} (${name}) is taken by a process this stack did not start`);
    }
    state[name] = launch();
    writeState(paths.stateFile, state);
  };

  const timings: Record<string, number> = {};
  const ready = async (
    name: string,
    from: string,
    check: () => Promise<unknown>,
  ): Promise<void> => {
    await check();
    timings[name] = Date.now() - (launchedAt[from] ?? Date.now());
    log(`${name.padEnd(10)} ready in ${String(timings[name]).padStart(6)} ms`);
  };

  // Kafka's JVM is the slowest to start: launch it first, wait for it last.
  await start('kafka', PORTS.kafka, () => startKafka(paths, libs, log));
  for (const port of PORTS.redis) await start(`redis-${port}`, port, () => startRedis(paths, port));
  await start('postgres', PORTS.postgres, () => startPostgres(paths, log));
  if (options.prometheus) await start('prometheus', PORTS.prometheus, () => startPrometheus(paths));

  await ready('redis', `redis-${PORTS.redis[0]}`, () => ensureCluster(PORTS.redis));
  await ready('postgres', 'postgres', () => preparePostgres(paths.migrations));
  await ready('kafka', 'kafka', () => ensureTopic(options.topic, options.partitions));
  if (options.prometheus) {
    const url = `http://127.0.0.1:${PORTS.prometheus}/-/ready`;
    await ready('prometheus', 'prometheus', () =>
      waitFor('prometheus', async () => (await fetch(url)).ok, 30000),
    );
  }

  writeEnv(paths, options);
  return timings;
}

export function stackEnv(options: Pick<UpOptions, 'prometheus' | 'topic'>): Record<string, string> {
  const env: Record<string, string> = {
    REDIS_NODES: PORTS.redis.map((p) => `127.0.0.1:${p}`).join(','),
    KAFKA_BROKERS: `127.0.0.1:${PORTS.kafka}`,
    KAFKA_TOPIC: options.topic,
    DATABASE_URL: databaseUrl(),
  };
  if (options.prometheus) env.PROMETHEUS_URL = `http://127.0.0.1:${PORTS.prometheus}`;
  return env;
}

function writeEnv(paths: Layout, options: UpOptions): void {
  const lines = Object.entries(stackEnv(options)).map(([k, v]) => `${k}=${v}`);
  writeFileSync(
    paths.envFile,
    `# The running local stack; written by \`npm run stack -- up\`.\n${lines.join('\n')}\n`,
  );
}

/** Stops exactly what `up` recorded, newest dependency last, and removes .stack/env. */
export async function down(paths: Layout, log: (line: string) => void): Promise<void> {
  const state: StackState = readState(paths.stateFile);
  for (const [name, entry] of Object.entries(state)) {
    if (name === 'postgres') {
      if (isAlive(entry)) stopPostgres(join(paths.stack, 'pg'));
    } else {
      await stopProcess(entry, name === 'kafka' ? 30000 : 10000);
    }
    log(`${name.padEnd(12)} stopped`);
    delete state[name];
    writeState(paths.stateFile, state);
  }
  rmSync(paths.envFile, { force: true });
}

export async function status(paths: Layout): Promise<ServiceStatus[]> {
  const state = readState(paths.stateFile);
  const names = ['kafka', ...PORTS.redis.map((p) => `redis-${p}`), 'postgres', 'prometheus'];
  const rows: ServiceStatus[] = [];
  for (const name of names) {
    const entry = state[name];
    if (entry === undefined && name === 'prometheus') continue;
    const running = entry !== undefined && isAlive(entry) && (await portOpen(entry.port));
    rows.push({ name, port: entry?.port ?? defaultPort(name), pid: entry?.pid, running });
  }
  return rows;
}

function defaultPort(name: string): number {
  if (name.startsWith('redis-')) return Number(name.slice('redis-'.length));
  if (name === 'kafka') return PORTS.kafka;
  if (name === 'postgres') return PORTS.postgres;
  return PORTS.prometheus;
}
