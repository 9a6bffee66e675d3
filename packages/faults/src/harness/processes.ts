import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKafka, serviceEnv } from '@parley/runtime';
import { repoRoot } from '@parley/stack';
import { uid, waitFor } from './wait.js';

/** The shared local stack's settings (.stack/env), overridable from the environment. */
export const stack = serviceEnv();

/** `server/dist/main.js` or `consumer/dist/main.js` of this checkout (built before the suite). */
function entryOf(workspace: 'server' | 'consumer'): string {
  return join(repoRoot(), workspace, 'dist', 'main.js');
}

/** A process under test: a chat node or the writer, treated as a black box. */
export interface Proc {
  readonly child: ChildProcess;
  /** Base URL of its HTTP server (chat node: PORT; writer: METRICS_PORT). */
  readonly url: string;
  /** Everything it wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** Resident set size from /proc, in bytes; 0 once it exited. */
  rssBytes(): number;
  /** SIGKILL, then wait for the exit: a crash. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the exit; resolves to the exit code. */
  stop(): Promise<number | null>;
}

function launch(entry: string, env: Record<string, string>, url: string): Proc {
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, ...stack, LOG_LEVEL: 'warn', ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  return {
    child,
    url,
    output: () => output,
    rssBytes: () => rssOf(child.pid),
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** VmRSS of `pid` in bytes (Linux), 0 when the process is gone. */
export function rssOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

async function statusOf(url: string): Promise<number | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  await res?.body?.cancel();
  return res?.status;
}

/** True while `url` answers `/healthz` with 200. */
export async function healthy(url: string): Promise<boolean> {
  return (await statusOf(`${url}/healthz`)) === 200;
}

/**
 * Starts `node server/dist/main.js` on 127.0.0.1:`port` and waits for /readyz.
 * `env` overrides the stack's settings (KAFKA_TOPIC, REDIS_CHANNEL_PREFIX, ...).
 */
export async function startNode(port: number, env: Record<string, string>): Promise<Proc> {
  const url = `http://127.0.0.1:${port}`;
  const proc = launch(
    entryOf('server'),
    { HOST: '127.0.0.1', PORT: String(port), NODE_ID: `faults-${port}`, AUTH_MODE: 'open', ...env },
    url,
  );
  await untilReady(proc, `chat node on ${port} ready`, async () => {
    return (await statusOf(`${url}/readyz`)) === 200;
  });
  return proc;
}

/** Waits for `ready`; a process that never gets there is killed, so no test leaves it behind. */
async function untilReady(proc: Proc, what: string, ready: () => Promise<boolean>): Promise<void> {
  try {
    await waitFor(
      what,
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`exited: ${proc.output()}`);
        return ready();
      },
      45_000,
      100,
    );
  } catch (error) {
    await proc.kill9();
    throw error;
  }
}

/** Starts `node consumer/dist/main.js` (the writer) and waits for its /healthz. */
export async function startWriter(port: number, env: Record<string, string>): Promise<Proc> {
  const url = `http://127.0.0.1:${port}`;
  const proc = launch(
    entryOf('consumer'),
    { METRICS_PORT: String(port), WRITER_MIGRATE: 'false', ...env },
    url,
  );
  await untilReady(proc, `writer on ${port} healthy`, () => healthy(url));
  return proc;
}

/** Creates a topic of this run's own with 12 partitions, like chat.messages. */
export async function createTopic(
  prefix: string,
  brokers = stack.KAFKA_BROKERS ?? '',
): Promise<string> {
  const topic = `faults.${prefix}.${uid()}`;
  const kafka = createKafka(
    { KAFKA_BROKERS: brokers.split(','), KAFKA_TOPIC: topic, KAFKA_SSL: false },
    'faults-admin',
  );
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 12 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  return topic;
}

/** Sum of the samples of metric `name` on `url`'s /metrics whose labels contain `labels`; 0 if none. */
export async function metric(url: string, name: string, labels = ''): Promise<number> {
  return sumSeries(await (await fetch(`${url}/metrics`)).text(), name, labels);
}

/**
 * Sums the samples of `name` in Prometheus text format, keeping series whose
 * label set contains `labels` as a substring. Only the bare name counts: `x`
 * does not match `x_total` or `x_bucket`.
 */
export function sumSeries(text: string, name: string, labels = ''): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labels !== '' && !rest.includes(labels)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
