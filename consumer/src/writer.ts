/**
 * The writer: Kafka `chat.messages` into PostgreSQL `messages`.
 *
 * Guarantee: every record is stored exactly once as a row (or once as a dead
 * letter). It rests on two rules enforced here and in store/flush.ts:
 * 1. At-least-once: a partition's offset is committed to Kafka only after the
 *    PostgreSQL transaction holding all its records up to that offset has
 *    committed. A crash, a rebalance or an outage at any point therefore leaves
 *    the committed offset at or before the first record not yet stored, and the
 *    next owner of the partition reads those records again.
 * 2. Idempotent replay: rows are inserted with ON CONFLICT (id) DO NOTHING (the
 *    client's id is the key end to end) and dead letters with ON CONFLICT on
 *    (topic, partition, offset), so reading a record again changes nothing.
 * At-least-once delivery plus an idempotent insert gives exactly-once rows, with
 * no coordination between writer processes sharing the partitions.
 *
 * kafkajs runs with autoCommit and eachBatchAutoResolve off: it never commits or
 * advances an offset on its own, so a batch that is still waiting for
 * PostgreSQL (or failed) is fetched again rather than skipped.
 */
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Consumer, EachBatchPayload } from 'kafkajs';
import type pg from 'pg';
import { createKafka, createLogger, createPgPool, migrate, type Logger } from '@parley/runtime';
import type { WriterConfig } from './config.js';
import { Batcher, WriterStoppedError, type BatchEntry, type FlushMode } from './kafka/batcher.js';
import { decodeMessage } from './kafka/decode.js';
import { createWriterMetrics, type WriterMetrics } from './metrics.js';
import { classifyPgError } from './store/errors.js';
import { flushBatch, flushIsolating, nextRoute } from './store/flush.js';
import type { DeadLetter, FlushResult } from './store/rows.js';

/** db/migrations of this checkout, from both src/ and dist/. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(
  new URL('../../db/migrations', import.meta.url),
);

export interface Writer {
  metrics: WriterMetrics;
  /** The port GET /metrics answers on (METRICS_PORT, or the one picked for 0). */
  metricsPort: number;
  /** Drains: flushes what is waiting, commits its offsets, leaves the group. */
  stop(): Promise<{ drained: boolean }>;
  /** Settles when the writer hits an error it cannot retry; the process should exit non-zero. */
  fatal: Promise<Error>;
}

export interface WriterOptions {
  logger?: Logger;
}

export async function startWriter(
  config: WriterConfig,
  options: WriterOptions = {},
): Promise<Writer> {
  const logger = options.logger ?? createLogger({ service: 'writer' });
  const metrics = createWriterMetrics();
  let reportFatal: (error: Error) => void = () => undefined;
  const fatal = new Promise<Error>((resolve) => (reportFatal = resolve));

  const server = await serveMetrics(metrics, config.METRICS_HOST, config.METRICS_PORT);
  const pool = createPgPool(config, config.KAFKA_CLIENT_ID);
  // An idle client whose server went away emits here; the next flush finds out and retries.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost'));

  try {
    if (config.WRITER_MIGRATE) {
      await migrateWhenReachable(
        pool,
        config.MIGRATIONS_DIR ?? DEFAULT_MIGRATIONS_DIR,
        config,
        logger,
      );
    }
  } catch (error) {
    server.close();
    await pool.end();
    throw error;
  }

  const flusher = createFlusher(pool, config.WRITER_TABLE, metrics);
  const batcher = new Batcher({
    maxRows: config.BATCH_MAX_ROWS,
    maxWaitMs: config.BATCH_MAX_WAIT_MS,
    maxInFlight: config.FLUSH_CONCURRENCY,
    retryInitialMs: config.RETRY_INITIAL_MS,
    retryMaxMs: config.RETRY_MAX_MS,
    flush: (entries, mode) => flusher(entries, mode),
    classify: classifyPgError,
    onFlushed: (entries, result, elapsedMs) => record(metrics, entries, result, elapsedMs),
    onRetry: (error, delayMs) => {
      metrics.flushRetries.inc();
      logger.warn({ err: error, delayMs }, 'PostgreSQL unavailable, retrying the batch');
    },
    onFatal: (error) => {
      logger.error({ err: error }, 'flush failed for a reason retrying cannot cure');
      reportFatal(error instanceof Error ? error : new Error(String(error)));
    },
    logger: logger.child({ component: 'batcher' }),
  });

  const consumer = await startConsumer(config, batcher, metrics, logger, reportFatal);
  logger.info({ topic: config.KAFKA_TOPIC, metricsPort: portOf(server) }, 'writer started');

  let stopping: Promise<{ drained: boolean }> | undefined;
  const stop = (): Promise<{ drained: boolean }> => {
    stopping ??= (async () => {
      let drained = true;
      const deadline = setTimeout(() => {
        drained = false;
        batcher.abandon(
          new WriterStoppedError('drain timed out; uncommitted records will be read again'),
        );
      }, config.DRAIN_TIMEOUT_MS);

      batcher.drain();
      // disconnect() waits for the in-flight eachBatch calls, which wait for their flush and commit.
      await consumer
        .disconnect()
        .catch((error: unknown) => logger.warn({ err: error }, 'disconnect'));
      clearTimeout(deadline);
      await pool.end().catch(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      logger.info({ drained }, 'writer stopped');
      return { drained };
    })();
    return stopping;
  };

  return { metrics, metricsPort: portOf(server), stop, fatal };
}

async function startConsumer(
  config: WriterConfig,
  batcher: Batcher,
  metrics: WriterMetrics,
  logger: Logger,
  reportFatal: (error: Error) => void,
): Promise<Consumer> {
  const kafka = createKafka(config, config.KAFKA_CLIENT_ID);
  const heartbeatMs = Math.min(3000, Math.floor(config.KAFKA_SESSION_TIMEOUT_MS / 3));
  const consumer = kafka.consumer({
    groupId: config.KAFKA_GROUP_ID,
    sessionTimeout: config.KAFKA_SESSION_TIMEOUT_MS,
    heartbeatInterval: heartbeatMs,
    rebalanceTimeout: config.KAFKA_REBALANCE_TIMEOUT_MS,
    // The broker holds an empty fetch this long; shorter means a faster drain on SIGTERM.
    maxWaitTimeInMs: 500,
    maxBytesPerPartition: config.FETCH_MAX_BYTES_PER_PARTITION,
  });

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assigned = new Set((payload.memberAssignment[config.KAFKA_TOPIC] ?? []).map(String));
    metrics.consumerLag.reset();
    for (const partition of assigned) metrics.consumerLag.set({ partition }, 0);
    logger.info({ topic: config.KAFKA_TOPIC, partitions: [...assigned] }, 'partitions assigned');
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
    if (!payload.restart) reportFatal(payload.error);
  });

  await consumer.connect();
  // A brand-new group starts from the oldest record: a writer must not miss history.
  await consumer.subscribe({ topic: config.KAFKA_TOPIC, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: config.PARTITIONS_CONCURRENCY,
    eachBatch: (payload) => handleBatch(payload, config, batcher, metrics, heartbeatMs),
  });
  return consumer;
}

/**
 * One partition's batch: decode, hand to the batcher, wait for PostgreSQL's
 * commit (heartbeating meanwhile), and only then resolve and commit the offset.
 */
async function handleBatch(
  payload: EachBatchPayload,
  config: WriterConfig,
  batcher: Batcher,
  metrics: WriterMetrics,
  heartbeatMs: number,
): Promise<void> {
  const { batch, heartbeat, resolveOffset, commitOffsetsIfNecessary } = payload;
  const last = batch.messages.at(-1);
  if (last === undefined) return;

  // 1. Decode into rows and dead letters, sliced so no entry exceeds the flush bound.
  const entries: BatchEntry[] = [];
  let entry: BatchEntry = { rows: [], sources: [], deadLetters: [] };
  for (const message of batch.messages) {
    const raw = { key: message.key, value: message.value, offset: message.offset };
    const decoded = decodeMessage(batch.topic, batch.partition, raw);
    if (decoded.ok) {
      entry.rows.push(decoded.row);
      entry.sources.push({
        topic: batch.topic,
        partition: batch.partition,
        offset: message.offset,
        key: message.key,
        payload: message.value,
      });
    } else {
      entry.deadLetters.push(decoded.deadLetter);
    }
    if (entry.rows.length + entry.deadLetters.length >= config.BATCH_MAX_ROWS) {
      entries.push(entry);
      entry = { rows: [], sources: [], deadLetters: [] };
    }
  }
  if (entry.rows.length + entry.deadLetters.length > 0) entries.push(entry);

  // 2. Wait until every slice is committed in PostgreSQL.
  await waitWithHeartbeat(
    Promise.all(entries.map((e) => batcher.submit(e))),
    heartbeat,
    heartbeatMs,
  );

  // 3. Only now may Kafka learn that these offsets are done.
  const nextOffset = (BigInt(last.offset) + 1n).toString();
  resolveOffset(last.offset);
  await commitOffsetsIfNecessary({
    topics: [
      { topic: batch.topic, partitions: [{ partition: batch.partition, offset: nextOffset }] },
    ],
  });
  const lag = Number(BigInt(batch.highWatermark) - BigInt(nextOffset));
  metrics.consumerLag.set({ partition: String(batch.partition) }, Math.max(0, lag));
}

/**
 * Waits for `done`, heartbeating so a long PostgreSQL outage does not get the
 * member evicted. A heartbeat that reports a rebalance is not acted on here:
 * the flush already under way still commits its rows, committing their offset
 * afterwards is correct even from a revoked member (the commit is refused, or it
 * records rows that are in PostgreSQL), and kafkajs rejoins once we return.
 */
async function waitWithHeartbeat(
  done: Promise<unknown>,
  heartbeat: () => Promise<void>,
  intervalMs: number,
): Promise<void> {
  let settled = false;
  const finished = done.finally(() => (settled = true));
  while (!settled) {
    let timer: NodeJS.Timeout | undefined;
    const tick = new Promise<void>((resolve) => (timer = setTimeout(resolve, intervalMs)));
    try {
      await Promise.race([finished, tick]);
    } finally {
      clearTimeout(timer);
    }
    if (!settled) await heartbeat().catch(() => undefined);
  }
  await finished;
}

/** One flush on a pooled connection, remembering whether the last one met stored ids. */
function createFlusher(
  pool: pg.Pool,
  table: string,
  metrics: WriterMetrics,
): (entries: readonly BatchEntry[], mode: FlushMode) => Promise<FlushResult> {
  let lastConflicted = false;

  return async (entries, mode) => {
    const rows = entries.flatMap((e) => e.rows);
    const deadLetters: DeadLetter[] = entries.flatMap((e) => e.deadLetters);
    const client = await pool.connect();
    // pg emits 'error' on a checked-out client whose server vanished between two
    // queries, and the pool only listens while the client is idle; without this
    // listener an outage would crash the process. The next query then fails and
    // the flush is retried on a fresh connection.
    const onLost = (): void => undefined;
    client.on('error', onLost);
    try {
      let result: FlushResult;
      if (mode === 'copy') {
        const route = nextRoute(lastConflicted);
        const flushed = await flushBatch(client, table, rows, deadLetters, route);
        lastConflicted = flushed.conflicted;
        metrics.flushes.inc({
          route: flushed.conflicted && route === 'direct' ? 'direct_then_staged' : route,
        });
        result = flushed;
      } else {
        const sources = entries.flatMap((e) => e.sources);
        result = await flushIsolating(client, table, rows, sources, deadLetters);
        metrics.flushes.inc({ route: 'isolating' });
      }
      client.off('error', onLost);
      client.release();
      return result;
    } catch (error) {
      client.off('error', onLost);
      // A connection that failed mid-transaction is not reused.
      client.release(classifyPgError(error) === 'retry' ? (error as Error) : undefined);
      throw error;
    }
  };
}

function record(
  metrics: WriterMetrics,
  entries: readonly BatchEntry[],
  result: FlushResult,
  elapsedMs: number,
): void {
  let records = 0;
  for (const entry of entries) {
    records += entry.rows.length + entry.deadLetters.length;
    for (const row of entry.rows)
      metrics.persistLag.observe((result.committedAtMs - row.tsMs) / 1000);
  }
  metrics.rowsWritten.inc(result.inserted);
  metrics.duplicatesSkipped.inc(result.skipped);
  metrics.deadLetters.inc(result.deadLettered);
  metrics.batchRows.observe(records);
  metrics.flushDuration.observe(elapsedMs / 1000);
}

/** Runs the migrations, waiting out a database that is not up yet. */
async function migrateWhenReachable(
  pool: pg.Pool,
  dir: string,
  config: WriterConfig,
  logger: Logger,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      const delayMs = Math.min(config.RETRY_MAX_MS, config.RETRY_INITIAL_MS * 2 ** attempt);
      logger.warn({ err: error, delayMs }, 'PostgreSQL not reachable for migrations, retrying');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      continue;
    }

    // A failing migration is a deployment problem, not an outage: stop and say so.
    try {
      await migrate(client, dir);
      return;
    } finally {
      client.release();
    }
  }
}

async function serveMetrics(metrics: WriterMetrics, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (req.method === 'GET' && req.url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}
