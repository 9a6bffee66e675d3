import { readFileSync } from 'node:fs';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import pg from 'pg';
import { z } from 'zod';
import { boolFlag, hostPortList, postgresUrl, redisUrl, splitHostPort } from './config.js';

// ---- Kafka --------------------------------------------------------------------

export const kafkaSettings = z.object({
  /** Comma-separated bootstrap brokers. Required. */
  KAFKA_BROKERS: hostPortList,
  /** Topic of chat messages. Default `chat.messages`. */
  KAFKA_TOPIC: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/)
    .default('chat.messages'),
  /** TLS to the brokers. Default false. */
  KAFKA_SSL: boolFlag.default(false),
  /** PEM CA bundle used to verify the brokers (with KAFKA_SSL). Default: the system store. */
  KAFKA_CA_FILE: z.string().optional(),
  /** SASL mechanism, if any. */
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
});
export type KafkaSettings = z.infer<typeof kafkaSettings>;

export function createKafka(settings: KafkaSettings, clientId: string): Kafka {
  const config: KafkaConfig = {
    clientId,
    brokers: settings.KAFKA_BROKERS,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10000,
  };
  if (settings.KAFKA_SSL) {
    config.ssl =
      settings.KAFKA_CA_FILE === undefined
        ? true
        : { ca: [readFileSync(settings.KAFKA_CA_FILE, 'utf8')], rejectUnauthorized: true };
  }

  const {
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
  } = settings;
  if (mechanism !== undefined) {
    config.sasl = { mechanism, username: username ?? '', password: password ?? '' } as SASLOptions;
  }
  return new Kafka(config);
}

// ---- Redis --------------------------------------------------------------------

export const redisSettings = z
  .object({
    /** Comma-separated masters of a Redis Cluster (`host:port`). Set this or REDIS_URL. */
    REDIS_NODES: hostPortList.optional(),
    /** A single, non-cluster Redis 7 (`redis://` or `rediss://`). Set this or REDIS_NODES. */
    REDIS_URL: redisUrl.optional(),
    /** TLS to the cluster nodes (REDIS_URL says it with `rediss://`). Default false. */
    REDIS_TLS: boolFlag.default(false),
    /** PEM CA bundle used to verify Redis over TLS. Default: the system store. */
    REDIS_CA_FILE: z.string().optional(),
    REDIS_USERNAME: z.string().optional(),
    REDIS_PASSWORD: z.string().optional(),
  })
  .refine((s) => (s.REDIS_NODES === undefined) !== (s.REDIS_URL === undefined), {
    message: 'set exactly one of REDIS_NODES (cluster) or REDIS_URL (single node)',
    path: ['REDIS_NODES'],
  });
export type RedisSettings = z.infer<typeof redisSettings>;

export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  /** For the sharded-pub/sub subscriber: route SSUBSCRIBE to each slot's owner. */
  shardedSubscribers?: boolean;
  /** ioredis' lazyConnect. Default false. */
  lazyConnect?: boolean;
}

export function createRedis(
  settings: RedisSettings,
  options: RedisClientOptions = {},
): RedisClient {
  const tls =
    settings.REDIS_TLS || settings.REDIS_URL?.startsWith('rediss://') === true
      ? {
          ...(settings.REDIS_CA_FILE === undefined
            ? {}
            : { ca: [readFileSync(settings.REDIS_CA_FILE, 'utf8')] }),
          rejectUnauthorized: true,
        }
      : undefined;
  const common: RedisOptions = {
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: options.lazyConnect ?? false,
    ...(settings.REDIS_USERNAME === undefined ? {} : { username: settings.REDIS_USERNAME }),
    ...(settings.REDIS_PASSWORD === undefined ? {} : { password: settings.REDIS_PASSWORD }),
    ...(tls === undefined ? {} : { tls }),
  };

  if (settings.REDIS_URL !== undefined) return new Redis(settings.REDIS_URL, common);

  const nodes = (settings.REDIS_NODES ?? []).map(splitHostPort);
  const clusterOptions: ClusterOptions = {
    redisOptions: common,
    lazyConnect: options.lazyConnect ?? false,
    shardedSubscribers: options.shardedSubscribers ?? false,
    clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
    ...(tls === undefined ? {} : { dnsLookup: (address, callback) => callback(null, address) }),
  };
  return new Cluster(nodes, clusterOptions);
}

// ---- PostgreSQL -------------------------------------------------------------------

export const databaseSettings = z.object({
  /**
   * `postgres://user:pass@host:port/db`. TLS is set in the URL the libpq way:
   * `?sslmode=verify-full&sslrootcert=/path/ca.pem`.
   */
  DATABASE_URL: postgresUrl,
  /** Connections in the pool. Default 10. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
});
export type DatabaseSettings = z.infer<typeof databaseSettings>;

export function createPgPool(settings: DatabaseSettings, applicationName: string): pg.Pool {
  return new pg.Pool({
    connectionString: settings.DATABASE_URL,
    max: settings.DATABASE_POOL_SIZE,
    application_name: applicationName,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30000,
  });
}
