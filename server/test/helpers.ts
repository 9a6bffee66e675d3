import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createKafka, serviceEnv, waitFor } from '@parley/runtime';
import { io as connectClient, type Socket } from 'socket.io-client';
import { loadConfig, startNode, type ChatNode } from '../src/index.js';

/** The shared local stack's settings (.stack/env), overridable from the environment. */
export { waitFor };

export const stack = serviceEnv();

export function uid(): string {
  return randomUUID().slice(0, 8);
}

/** A topic of this test file's own (3 partitions), so suites can run in parallel. */
export async function createTopic(brokers = stack.KAFKA_BROKERS): Promise<string> {
  const topic = `test.server.${uid()}`;
  const kafka = createKafka(loadKafka(brokers), 'server-test-admin');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();
  return topic;
}

function loadKafka(brokers: string | undefined) {
  return { KAFKA_BROKERS: (brokers ?? '').split(','), KAFKA_TOPIC: 'unused', KAFKA_SSL: false };
}

/** Reads every record of `topic` from the beginning until `done` holds for what was read. */
export async function readTopic(
  topic: string,
  done: (values: Record<string, unknown>[]) => boolean,
  deadlineMs = 30_000,
): Promise<Record<string, unknown>[]> {
  const kafka = createKafka(loadKafka(stack.KAFKA_BROKERS), 'server-test-consumer');
  const consumer = kafka.consumer({ groupId: `test.server.${uid()}` });
  const values: Record<string, unknown>[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        values.push({
          key: message.key?.toString(),
          ...JSON.parse(message.value?.toString() ?? '{}'),
        });
      },
    });
    await waitFor('records in Kafka', () => done(values), deadlineMs);
    return values;
  } finally {
    await consumer.disconnect();
  }
}

/** Starts a node in this process (uWS) on `port`, with `overrides` over the stack's settings. */
export async function inProcessNode(overrides: Record<string, string>): Promise<ChatNode> {
  const config = loadConfig({ ...stack, LOG_LEVEL: 'warn', ...overrides });
  return startNode(config);
}

export interface ChildNode {
  url: string;
  process: ChildProcess;
  output: () => string;
  /** SIGTERM and wait; resolves to the exit code. */
  stop(): Promise<number | null>;
}

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/**
 * Starts `node server/dist/main.js` (built by `npm test` before the suite) and
 * waits for /readyz. Nodes that must talk to each other run as processes: this
 * is how they are deployed, and it keeps each node's uWS state its own.
 */
export async function childNode(env: Record<string, string>, waitReady = true): Promise<ChildNode> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ...stack, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );

  const url = `http://127.0.0.1:${env.PORT}`;
  const node: ChildNode = {
    url,
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  if (!waitReady) return node;

  try {
    await waitFor(
      `node ${url} ready (output: ${output.slice(-500)})`,
      async () => {
        if (child.exitCode !== null) throw new Error(`node exited ${child.exitCode}: ${output}`);
        return (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200;
      },
      30_000,
    );
  } catch (error) {
    // The caller never gets a handle to stop it, so a node that never got ready dies here.
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return node;
}

export type Transport = 'websocket' | 'polling';

/** An official socket.io-client connection; resolves once connected, rejects on connect_error. */
export async function connect(
  url: string,
  auth: Record<string, unknown>,
  transport: Transport = 'websocket',
  extra: Record<string, unknown> = {},
): Promise<Socket> {
  const socket = connectClient(url, {
    auth,
    transports: [transport],
    forceNew: true,
    reconnection: false,
    timeout: 10_000,
    ...extra,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
  return socket;
}

/** Emits and waits for the acknowledgement. */
export function request(
  socket: Socket,
  event: string,
  payload: unknown,
  timeoutMs = 10_000,
): Promise<unknown> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload);
}

/** Collects every `message` the socket receives. */
export function inbox(
  socket: Socket,
): { id: string; room: string; from: string; body: string; ts: number }[] {
  const received: { id: string; room: string; from: string; body: string; ts: number }[] = [];
  socket.on('message', (m) => received.push(m));
  return received;
}
