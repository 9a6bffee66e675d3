import { z } from 'zod';
import {
  databaseSettings,
  kafkaSettings,
  parseConfig,
  port,
  positiveInt,
  type Env,
} from '@parley/runtime';

/** A bare SQL identifier: the writer interpolates the table name, so nothing else is allowed. */
const sqlIdentifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier');

/**
 * Every setting of the writer, parsed once at start-up. Each option's default is
 * in its doc comment; docs/writer.md carries the same table.
 */
export const writerConfigSchema = kafkaSettings
  .extend(databaseSettings.shape)
  .extend({
    /** Port of GET /metrics and GET /healthz. Required (0 picks a free port, for tests). */
    METRICS_PORT: port,
    /** Bind address of the metrics server. Default `127.0.0.1`. */
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    /** Consumer group shared by every writer process. Default `parley-writer`. */
    KAFKA_GROUP_ID: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,249}$/)
      .default('parley-writer'),
    /** Kafka client id, also the PostgreSQL application_name. Default `parley-writer`. */
    KAFKA_CLIENT_ID: z.string().min(1).default('parley-writer'),
    /**
     * Flush when this many records are waiting. Default 10000: bench:writer ran
     * ~40k rows/s end to end with 5000 and ~66k with 10000 (and 4 MiB fetches).
     */
    BATCH_MAX_ROWS: positiveInt.max(50_000).default(10_000),
    /** Flush when the oldest waiting record has waited this long. Default 100 ms. */
    BATCH_MAX_WAIT_MS: positiveInt.max(60_000).default(100),
    /**
     * How long the group waits for a silent member (a killed writer) before giving
     * its partitions to the others; the broker allows 6000 to 300000. Default 30000 ms.
     */
    KAFKA_SESSION_TIMEOUT_MS: positiveInt.min(6000).max(300_000).default(30_000),
    /**
     * How long a rebalance waits for every member to rejoin; a member still inside
     * a long flush (PostgreSQL down) past it is dropped, which is safe: its offsets
     * stay uncommitted. Default 30000 ms.
     */
    KAFKA_REBALANCE_TIMEOUT_MS: positiveInt.min(1000).max(600_000).default(30_000),
    /**
     * Flushes running at once, each in its own transaction on its own connection.
     * 2 measured no faster than 1 on a 2-core machine (bench:writer), where the
     * database and the broker already share the cores. Default 1.
     */
    FLUSH_CONCURRENCY: positiveInt.max(8).default(1),
    /** Partitions whose batches are handled at once (and so can share one flush). Default 12. */
    PARTITIONS_CONCURRENCY: positiveInt.max(1000).default(12),
    /**
     * Upper bound of bytes fetched per partition per request; bigger fetches fill a
     * flush from fewer partitions. At most PARTITIONS_CONCURRENCY of them are held
     * in memory at once. Default 4 MiB.
     */
    FETCH_MAX_BYTES_PER_PARTITION: positiveInt.default(4 * 1024 * 1024),
    /** First retry delay after a retriable PostgreSQL failure. Default 200 ms. */
    RETRY_INITIAL_MS: positiveInt.default(200),
    /** Cap of the exponential retry delay. Default 5000 ms. */
    RETRY_MAX_MS: positiveInt.default(5000),
    /** How long SIGTERM waits for the in-flight batch to commit before giving up. Default 30000 ms. */
    DRAIN_TIMEOUT_MS: positiveInt.default(30_000),
    /** Table the rows go to (tests and the bench use scratch copies). Default `messages`. */
    WRITER_TABLE: sqlIdentifier.default('messages'),
    /** Apply db/migrations at start-up. Default true. */
    WRITER_MIGRATE: z
      .enum(['true', 'false', '1', '0'])
      .transform((v) => v === 'true' || v === '1')
      .default(true),
    /** Where the migrations live. Default: db/migrations of this checkout. */
    MIGRATIONS_DIR: z.string().min(1).optional(),
  })
  .refine((c) => c.RETRY_INITIAL_MS <= c.RETRY_MAX_MS, {
    message: 'must not exceed RETRY_MAX_MS',
    path: ['RETRY_INITIAL_MS'],
  });

export type WriterConfig = z.infer<typeof writerConfigSchema>;

/** Parses the environment; throws a ConfigError naming every bad variable. */
export function parseWriterConfig(env: Env): WriterConfig {
  return parseConfig(writerConfigSchema, env);
}
