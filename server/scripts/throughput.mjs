// One chat node's throughput and idle memory on this machine (issue 3's closing figures).
//
//   node server/scripts/throughput.mjs [--clients 200] [--rooms 20] [--window 4] [--duration 10]
//                                      [--idle 5000] [--port 4188] [--engine uws|node]
//
// Starts `node server/dist/main.js` on its own Kafka topic against the local stack, then:
// 1. throughput: `clients` websocket clients in `rooms` rooms, each keeping `window` messages
//    in flight for `duration` seconds; counts acks/s and room deliveries/s (received by clients);
// 2. idle memory: `idle` connected, silent clients; RSS of the node per connection.
// The load generator runs on the same 2 cores as the node, so figures are a floor.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createKafka, serviceEnv } from '@parley/runtime';
import { io } from 'socket.io-client';

const { values: opts } = parseArgs({
  options: {
    clients: { type: 'string', default: '200' },
    rooms: { type: 'string', default: '20' },
    window: { type: 'string', default: '4' },
    duration: { type: 'string', default: '10' },
    idle: { type: 'string', default: '5000' },
    port: { type: 'string', default: '4188' },
    engine: { type: 'string', default: 'uws' },
  },
});
const env = serviceEnv();
const url = `http://127.0.0.1:${opts.port}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function createTopic() {
  const topic = `bench.server.${randomUUID().slice(0, 8)}`;
  const admin = createKafka(
    { KAFKA_BROKERS: env.KAFKA_BROKERS.split(','), KAFKA_SSL: false },
    'throughput',
  ).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 12 }], waitForLeaders: true });
  await admin.disconnect();
  return topic;
}

async function startNode(topic) {
  const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      ...env,
      PORT: opts.port,
      NODE_ID: 'throughput',
      ENGINE: opts.engine,
      KAFKA_TOPIC: topic,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_SEC: '100000',
      RATE_LIMIT_BURST: '100000',
      REDIS_CHANNEL_PREFIX: `tp-${randomUUID().slice(0, 8)}`,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 180_000;
  while ((await fetch(`${url}/readyz`).catch(() => undefined))?.status !== 200) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGTERM');
      throw new Error('node did not become ready');
    }
    await sleep(100);
  }
  return child;
}

const rssBytes = (pid) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

async function connectAll(count, onMessage) {
  const sockets = [];
  for (let i = 0; i < count; i += 100) {
    const batch = Array.from({ length: Math.min(100, count - i) }, (_, j) => {
      const socket = io(url, {
        auth: { user: `tp${i + j}` },
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
      });
      if (onMessage) socket.on('message', onMessage);
      sockets.push(socket);
      return new Promise((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
    });
    await Promise.all(batch);
  }
  return sockets;
}

async function throughput() {
  let delivered = 0;
  const sockets = await connectAll(Number(opts.clients), () => delivered++);
  const rooms = Number(opts.rooms);
  await Promise.all(sockets.map((s, i) => s.emitWithAck('join', { room: `tp-room-${i % rooms}` })));

  let acked = 0;
  let failed = 0;
  const ackMs = [];
  const stopAt = Date.now() + Number(opts.duration) * 1000;
  const loop = async (socket, i) => {
    for (let n = 0; Date.now() < stopAt; n++) {
      const started = performance.now();
      const ack = await socket
        .timeout(10_000)
        .emitWithAck('message', {
          id: `${i}-${n}-${randomUUID().slice(0, 6)}`,
          room: `tp-room-${i % rooms}`,
          body: 'x'.repeat(100),
        })
        .catch(() => ({ ok: false }));
      if (ack.ok) acked++;
      else failed++;
      ackMs.push(performance.now() - started);
    }
  };
  const started = Date.now();
  const window = Number(opts.window);
  await Promise.all(sockets.flatMap((s, i) => Array.from({ length: window }, () => loop(s, i))));
  const seconds = (Date.now() - started) / 1000;
  await sleep(500); // let the last broadcasts land before counting
  sockets.forEach((s) => s.close());

  ackMs.sort((a, b) => a - b);
  const p = (q) => ackMs[Math.min(ackMs.length - 1, Math.floor(q * ackMs.length))]?.toFixed(1);
  return {
    seconds,
    acked,
    failed,
    acksPerSec: Math.round(acked / seconds),
    deliveriesPerSec: Math.round(delivered / seconds),
    ackMs: { p50: p(0.5), p99: p(0.99) },
  };
}

async function idleMemory(pid) {
  const before = rssBytes(pid);
  const count = Number(opts.idle);
  const sockets = await connectAll(count);
  await sleep(2000);
  const after = rssBytes(pid);
  sockets.forEach((s) => s.close());
  return {
    connections: count,
    rssBeforeMiB: +(before / 2 ** 20).toFixed(1),
    rssAfterMiB: +(after / 2 ** 20).toFixed(1),
    bytesPerConnection: Math.round((after - before) / count),
  };
}

console.error('creating topic');
// What one-request-in-flight (maxInFlightRequests: 1) costs shows in these: the mean batch and
// the mean request duration bound the producer at batch / duration messages per second.
async function producerStats() {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name) =>
    Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const requests = value('chat_kafka_produce_duration_seconds_count');
  const meanBatch = value('chat_kafka_batch_messages_sum') / requests;
  const meanRequestMs = (value('chat_kafka_produce_duration_seconds_sum') / requests) * 1000;
  return {
    produceRequests: requests,
    meanBatch: +meanBatch.toFixed(1),
    meanRequestMs: +meanRequestMs.toFixed(1),
    producerCeilingPerSec: Math.round((meanBatch * 1000) / meanRequestMs),
  };
}

const topic = await createTopic();
console.error('starting node');
const node = await startNode(topic);
try {
  console.error('node ready; running');
  const tp = await throughput();
  console.log(
    JSON.stringify({
      engine: opts.engine,
      clients: Number(opts.clients),
      rooms: Number(opts.rooms),
      window: Number(opts.window),
      ...tp,
    }),
  );
  console.log(JSON.stringify({ engine: opts.engine, ...(await producerStats()) }));
  if (Number(opts.idle) > 0)
    console.log(JSON.stringify({ engine: opts.engine, ...(await idleMemory(node.pid)) }));
} finally {
  node.kill('SIGTERM');
}
