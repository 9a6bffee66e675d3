import type { Admin } from 'kafkajs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createKafka, kafkaSettings, parseConfig } from '@parley/runtime';
import { layout, registerScrapeTargets, unregisterScrapeTargets } from '@parley/stack';
import type { WireProtocol } from '../client/chat-client.js';
import { checkPersistence } from '../measure/persistence.js';
import { cpuPercent, sampleProcess, type ProcessSample } from '../measure/prometheus.js';
import type { Percentiles } from '../measure/histogram.js';
import { startChild, stopChild, waitHttpOk, type Child } from './children.js';
import type { BenchOptions } from './options.js';
import { runWorkload, type Tick, type WorkloadResult } from './workload.js';

/** Above this share of one core the generator, not the target, limits the run. */
const GENERATOR_CPU_LIMIT_PERCENT = 85;
/** Event-loop delay p99 above which measured latencies carry the generator's own waiting. */
const EVENT_LOOP_LAG_LIMIT_MS = 50;

/** One system under test. */
export interface TargetSpec {
  name: 'parley' | 'stock' | 'raw' | 'external';
  /** What it is, for the report. */
  label: string;
  protocol: WireProtocol;
  /** The node process to start, relative to the repository root; none for `external`. */
  script?: string;
  /** Extra node settings. */
  nodeEnv?: Record<string, string>;
  /** Whether acked messages go to Kafka and a writer (so PostgreSQL can be checked). */
  persists: boolean;
}

export const TARGETS: Record<'parley' | 'stock' | 'raw', TargetSpec> = {
  parley: {
    name: 'parley',
    label: 'Parley (uWebSockets.js engine, sharded Redis adapter)',
    protocol: 'socketio',
    script: 'server/dist/main.js',
    nodeEnv: { ENGINE: 'uws', REDIS_ADAPTER: 'sharded' },
    persists: true,
  },
  stock: {
    name: 'stock',
    label: 'stock Socket.IO (node:http + ws, classic Redis adapter)',
    protocol: 'socketio',
    script: 'server/dist/main.js',
    nodeEnv: { ENGINE: 'node', REDIS_ADAPTER: 'classic' },
    persists: true,
  },
  raw: {
    name: 'raw',
    label: 'raw uWebSockets.js pub/sub over Redis, no Socket.IO, no Kafka (ceiling)',
    protocol: 'raw',
    script: 'bench/dist/targets/raw-uws.js',
    persists: false,
  },
};

/** The bench result of one target: the INTERFACES.md fields first, then the extras. */
export interface TargetResult {
  target: string;
  nodes: number;
  clients: number;
  rooms: number;
  durationS: number;
  sent: number;
  acked: number;
  delivered: number;
  expected: number;
  lost: number;
  duplicates: number;
  deliveriesPerSec: number;
  latencyMs: Percentiles;
  ackMs: Percentiles;
  /** Rows of this run in PostgreSQL; null when the target does not persist. */
  persisted: number | null;
  /** Acked messages that have a row (must equal `acked`); the rest of `persisted` got error acks. */
  persistedAcked: number | null;
  persistLagMs: { p50: number; p99: number } | null;
  /** Peak RSS of each node during the send phase. */
  rssBytesPerNode: (number | null)[];
  /** (RSS after connect+join - idle RSS) summed over nodes / connected clients. */
  bytesPerConnection: number | null;
  generatorCpuPercent: number;
  label: string;
  ratePerClient: number;
  misrouted: number;
  reconnects: number;
  connectFailures: number;
  joinFailures: number;
  ackErrors: Record<string, number>;
  connectMs: Percentiles;
  crossNodeDeliveries: number;
  /** CPU of each node during the send phase, % of one core. */
  nodeCpuPercent: (number | null)[];
  /** Deliveries per second per node CPU core used: capacity at equal hardware. */
  deliveriesPerCoreSec: number | null;
  generatorEventLoopP99Ms: number;
  writerDrained: boolean | null;
  warnings: string[];
  latencyBuckets: { upToMs: number; count: number }[];
  timeline: Tick[];
  startedAt: string;
}

export interface RunContext {
  root: string;
  env: Record<string, string | undefined>;
  options: BenchOptions;
  logDir: string;
  onTick: (target: string, tick: Tick) => void;
  log: (line: string) => void;
}

export async function runTarget(spec: TargetSpec, context: RunContext): Promise<TargetResult> {
  const { options, env, root } = context;
  const runId = `b${Date.now().toString(36)}${spec.name[0]}`;
  const startedAt = new Date().toISOString();
  const topic = `bench.${runId}`;
  const children: Child[] = [];
  let urls = options.targets ?? [];
  let topicCreated = false;
  const scrapeFiles: string[] = [];

  try {
    // 1. A fresh topic and writer group per run: no backlog of earlier runs skews the drain.
    if (spec.script !== undefined && spec.persists) {
      await createTopic(env, topic);
      topicCreated = true;
      const writer = startChild(
        `${spec.name}-writer`,
        join(root, 'consumer/dist/main.js'),
        {
          ...env,
          KAFKA_TOPIC: topic,
          METRICS_PORT: String(options.writerPort),
          KAFKA_GROUP_ID: `bench-${runId}`,
        },
        context.logDir,
      );
      children.push(writer);
      await waitHttpOk(`http://127.0.0.1:${options.writerPort}/healthz`, writer);
    }

    // 2. The nodes, each on its own port, all on the run's topic.
    if (spec.script !== undefined) {
      urls = [];
      for (let i = 0; i < options.nodes; i += 1) {
        const port = options.basePort + i;
        const node = startChild(
          `${spec.name}-node-${i}`,
          join(root, spec.script),
          {
            ...env,
            ...spec.nodeEnv,
            PORT: String(port),
            NODE_ID: `${spec.name}-${i}`,
            KAFKA_TOPIC: topic,
            AUTH_MODE: 'open',
            HOST: '127.0.0.1',
          },
          context.logDir,
        );
        children.push(node);
        urls.push(`http://127.0.0.1:${port}`);
      }
      await Promise.all(
        urls.map((url, i) =>
          waitHttpOk(
            `${url}/readyz`,
            children.find((c) => c.name === `${spec.name}-node-${i}`),
          ),
        ),
      );
    }
    context.log(`${spec.name}: ${urls.length} node(s) ready at ${urls.join(', ')}`);
    if (spec.script !== undefined && prometheusWatches(root, env)) {
      // The local Prometheus picks these files up, so Grafana shows the run while it happens.
      const hosts = urls.map((url) => new URL(url).host);
      scrapeFiles.push(
        registerScrapeTargets(layout(root), 'chat-node', `bench-${spec.name}`, hosts),
      );
      if (spec.persists) {
        const writer = [`127.0.0.1:${options.writerPort}`];
        scrapeFiles.push(
          registerScrapeTargets(layout(root), 'writer', `bench-${spec.name}`, writer),
        );
      }
    }

    // 3. The workload, with node RSS/CPU sampled idle, after connect, and through the send phase.
    const metricsUrls = urls.map((url) => new URL('/metrics', url).toString());
    const idle = await Promise.all(metricsUrls.map(sampleProcess));
    let connected: ProcessSample[] = idle;
    let sendStart: ProcessSample[] = idle;
    const peaks: (number | null)[] = idle.map((s) => s.rssBytes ?? null);
    // The last sample of each node that answered during the send phase: a saturated node may
    // miss a scrape, and its CPU is then measured up to the last scrape it did answer.
    const sendEnd: ProcessSample[] = [...idle];
    let sending = false;
    const sampler = setInterval(() => {
      void Promise.all(metricsUrls.map(sampleProcess)).then((samples) =>
        samples.forEach((s, i) => {
          if (s.rssBytes !== undefined) peaks[i] = Math.max(peaks[i] ?? 0, s.rssBytes);
          if (sending && s.cpuSeconds !== undefined) sendEnd[i] = s;
        }),
      );
    }, 2000);
    let result: WorkloadResult;
    try {
      result = await runWorkload({
        urls,
        protocol: spec.protocol,
        clients: options.clients,
        rooms: options.rooms,
        durationS: options.durationS,
        ratePerClient: options.rate,
        runId,
        drainTimeoutMs: options.drainS * 1000,
        onTick: (tick) => context.onTick(spec.name, tick),
        warmupS: options.warmupS,
        onConnected: async () => {
          connected = await Promise.all(metricsUrls.map(sampleProcess));
        },
        onSendStart: async () => {
          sendStart = await Promise.all(metricsUrls.map(sampleProcess));
          sending = true;
        },
        onSendEnd: () => {
          sending = false;
          void Promise.all(metricsUrls.map(sampleProcess)).then((samples) =>
            samples.forEach((s, i) => {
              if (s.cpuSeconds !== undefined && s.atMs - (sendEnd[i]?.atMs ?? 0) < 5000)
                sendEnd[i] = s;
            }),
          );
        },
      });
    } finally {
      clearInterval(sampler);
    }

    // 4. PostgreSQL: did every acked message become a row?
    let persistence: Awaited<ReturnType<typeof checkPersistence>> | undefined;
    if (spec.persists && env.DATABASE_URL !== undefined) {
      context.log(`${spec.name}: waiting for the writer to store ${result.acked} acked messages`);
      persistence = await checkPersistence(env.DATABASE_URL, runId, result.ackedIds);
    }

    return assemble(
      spec,
      options,
      urls.length,
      result,
      { idle, connected, sendStart, sendEnd },
      peaks,
      persistence,
      startedAt,
    );
  } finally {
    scrapeFiles.forEach(unregisterScrapeTargets);
    await Promise.all(children.map((child) => stopChild(child)));
    if (topicCreated) await deleteTopic(env, topic).catch(() => undefined);
  }
}

function assemble(
  spec: TargetSpec,
  options: BenchOptions,
  nodes: number,
  r: WorkloadResult,
  samples: {
    idle: ProcessSample[];
    connected: ProcessSample[];
    sendStart: ProcessSample[];
    sendEnd: ProcessSample[];
  },
  peaks: (number | null)[],
  persistence: Awaited<ReturnType<typeof checkPersistence>> | undefined,
  startedAt: string,
): TargetResult {
  const nodeCpu = samples.sendStart.map((from, i) => {
    const to = samples.sendEnd[i];
    return to === undefined ? null : (cpuPercent(from, to) ?? null);
  });
  const cpuCores = nodeCpu.reduce<number>((sum, v) => sum + (v ?? 0), 0) / 100;
  let memoryDelta = 0;
  let memoryKnown = true;
  samples.idle.forEach((idle, i) => {
    const after = samples.connected[i]?.rssBytes;
    if (idle.rssBytes === undefined || after === undefined) memoryKnown = false;
    else memoryDelta += after - idle.rssBytes;
  });

  const warnings: string[] = [];
  if (r.generatorCpuPercent > GENERATOR_CPU_LIMIT_PERCENT) {
    warnings.push(
      `the load generator was the bottleneck (CPU ${r.generatorCpuPercent}% of one core, event-loop p99 ` +
        `${r.generatorEventLoopP99Ms} ms): latencies include its own queueing; use fewer clients or a second generator`,
    );
  } else if (r.generatorEventLoopP99Ms > EVENT_LOOP_LAG_LIMIT_MS) {
    // Lag without CPU use means the generator waited for a core: the machine, not it, was short.
    warnings.push(
      `the generator's event loop lagged (p99 ${r.generatorEventLoopP99Ms} ms) at only ${r.generatorCpuPercent}% CPU: ` +
        'the machine is oversubscribed (other processes compete for the cores), and latencies include that',
    );
  }
  if (r.connectFailures > 0) warnings.push(`${r.connectFailures} clients failed to connect`);
  if (r.joinFailures > 0) warnings.push(`${r.joinFailures} clients could not join their room`);
  if (persistence !== undefined && persistence.persisted > persistence.persistedAcked) {
    warnings.push(
      `${persistence.persisted - persistence.persistedAcked} messages that got an error ack were stored anyway ` +
        '(the node gave up waiting on Kafka, which then took them; a client resend of the same id stays one row)',
    );
  }
  if (persistence !== undefined && !persistence.drained) {
    warnings.push(`the writer had not stored every acked message after ${persistence.waitedMs} ms`);
  }

  return {
    target: spec.name,
    nodes,
    clients: r.clients,
    rooms: r.rooms,
    durationS: r.durationS,
    sent: r.sent,
    acked: r.acked,
    delivered: r.delivered,
    expected: r.expected,
    lost: r.lost,
    duplicates: r.duplicates,
    deliveriesPerSec: r.deliveriesPerSec,
    latencyMs: r.latencyMs,
    ackMs: r.ackMs,
    persisted: persistence?.persisted ?? null,
    persistedAcked: persistence?.persistedAcked ?? null,
    persistLagMs: persistence?.persistLagMs ?? null,
    rssBytesPerNode: peaks,
    bytesPerConnection:
      memoryKnown && r.connected > 0 ? Math.round(memoryDelta / r.connected) : null,
    generatorCpuPercent: r.generatorCpuPercent,
    label: spec.label,
    ratePerClient: options.rate,
    misrouted: r.misrouted,
    reconnects: r.reconnects,
    connectFailures: r.connectFailures,
    joinFailures: r.joinFailures,
    ackErrors: r.ackErrors,
    connectMs: r.connectMs,
    crossNodeDeliveries: r.crossNodeDeliveries,
    nodeCpuPercent: nodeCpu,
    deliveriesPerCoreSec: cpuCores > 0 ? Math.round(r.deliveriesPerSec / cpuCores) : null,
    generatorEventLoopP99Ms: r.generatorEventLoopP99Ms,
    writerDrained: persistence?.drained ?? null,
    warnings,
    latencyBuckets: r.latencyBuckets,
    timeline: r.timeline,
    startedAt,
  };
}

/** Runs `work` with a connected Kafka admin client for `env`, and disconnects it after. */
async function withAdmin(
  env: Record<string, string | undefined>,
  work: (admin: Admin) => Promise<unknown>,
): Promise<void> {
  const admin = createKafka(parseConfig(kafkaSettings, env), 'parley-bench').admin();
  await admin.connect();
  try {
    await work(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopic(
  env: Record<string, string | undefined>,
  topic: string,
): Promise<void> {
  await withAdmin(env, (admin) =>
    admin.createTopics({ topics: [{ topic, numPartitions: 12 }], waitForLeaders: true }),
  );
}

export async function deleteTopic(
  env: Record<string, string | undefined>,
  topic: string,
): Promise<void> {
  await withAdmin(env, (admin) => admin.deleteTopics({ topics: [topic], timeout: 10_000 }));
}

/** The local stack's Prometheus reads file_sd targets from .stack/prometheus (packages/stack). */
function prometheusWatches(root: string, env: Record<string, string | undefined>): boolean {
  return env.PROMETHEUS_URL !== undefined || existsSync(join(root, '.stack', 'prometheus'));
}
