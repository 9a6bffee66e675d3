import { DEFAULT_MAX_BODY_BYTES, MAX_BODY_BYTES_CEILING, USER_ID_PATTERN } from '@parley/protocol';
import {
  boolFlag,
  databaseSettings,
  kafkaSettings,
  parseConfig,
  port,
  positiveInt,
  redisSettings,
  type Env,
} from '@parley/runtime';
import { z } from 'zod';

/**
 * Settings of one chat node, read from the environment once at start-up. Every
 * option names its default; docs/server.md carries the same table for operators.
 */
const nodeSettings = z.object({
  /** TCP port of HTTP and Socket.IO on 0.0.0.0 (or HOST). Default 4000; 0 picks a free port. */
  PORT: port.default(4000),
  /** Interface to listen on. Default `0.0.0.0`. */
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Name of this node in logs, metrics (`node` label) and Kafka records. Default `node-<pid>`. */
  NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1 to 64 characters of [A-Za-z0-9_.-]')
    .default(`node-${process.pid}`),
  /** `uws` (uWebSockets.js, the default) or `node` (node:http + ws, for comparisons). */
  ENGINE: z.enum(['uws', 'node']).default('uws'),
  /** Start even when only the JavaScript fallback of uWebSockets.js loads. Default false. */
  UWS_ALLOW_FALLBACK: boolFlag.default(false),
  /** `sharded` (SSUBSCRIBE/SPUBLISH, one channel per room, the default) or `classic` (PUBLISH). */
  REDIS_ADAPTER: z.enum(['sharded', 'classic']).default('sharded'),
  /** Prefix of the adapter's pub/sub channels. Default `parley`. */
  REDIS_CHANNEL_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .default('parley'),

  /** `open` (handshake `auth.user` is trusted) or `jwt` (handshake `auth.token`, HS256). Default `open`. */
  AUTH_MODE: z.enum(['open', 'jwt']).default('open'),
  /** HS256 secret of AUTH_MODE=jwt, at least 32 characters. Required in that mode. */
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Comma-separated allowed `Origin`s, or `*`. Requests without an Origin (non-browsers) pass. Default `*`. */
  ALLOWED_ORIGINS: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o.length > 0),
    )
    .default(['*']),
  /** Connections this node accepts before refusing handshakes. Default 20000. */
  MAX_CONNECTIONS: positiveInt.default(20_000),
  /**
   * Connections one remote address may hold on this node; 0 turns the limit off. Default 0:
   * behind a load balancer or NAT many users share an address, so set it where nodes face
   * clients directly (e.g. 50).
   */
  MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(0).default(0),

  /** Largest message body in UTF-8 bytes; larger ones get TOO_LARGE. Default 4096. */
  MAX_BODY_BYTES: positiveInt.max(MAX_BODY_BYTES_CEILING).default(DEFAULT_MAX_BODY_BYTES),
  /** Largest Socket.IO frame or polling body in bytes; larger ones close the connection. Default 65536. */
  MAX_FRAME_BYTES: positiveInt.default(64 * 1024),
  /** Events a connection may send per second, steady state (token bucket refill). Default 20. */
  RATE_LIMIT_PER_SEC: positiveInt.default(20),
  /** Events a connection may send in a burst (token bucket size). Default 40. */
  RATE_LIMIT_BURST: positiveInt.default(40),
  /** Bytes queued to one websocket before it counts as slow and is disconnected. Default 1 MiB. */
  MAX_BACKPRESSURE_BYTES: positiveInt.default(1024 * 1024),
  /** How often buffered bytes of every websocket are checked. Default 1000. */
  SLOW_CLIENT_CHECK_MS: positiveInt.default(1000),

  /** Collect messages for this long before one Kafka request. Default 2. */
  PRODUCER_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(2),
  /** Messages per Kafka request at most. Default 500. */
  PRODUCER_BATCH_MAX: positiveInt.max(10_000).default(500),
  /** Messages waiting for Kafka (queued and in flight) before new ones get UNAVAILABLE. Default 10000. */
  PRODUCER_MAX_PENDING: positiveInt.default(10_000),
  /** A message not accepted by Kafka within this many ms is answered UNAVAILABLE. Default 5000. */
  ACK_TIMEOUT_MS: positiveInt.default(5000),
  /** Broadcast only after Kafka accepted (slower, never shows a message that may be lost). Default false. */
  BROADCAST_AFTER_KAFKA: boolFlag.default(false),

  /**
   * Messages kept per room for missed-message recovery (a Redis Stream, trimmed approximately).
   * Default 1000; 0 turns recovery off: no stream writes and no `seq` on broadcasts.
   */
  RECOVERY_WINDOW_MESSAGES: z.coerce.number().int().min(0).max(1_000_000).default(1000),
  /** A room's window expires this long after its last message. Default 3600. */
  RECOVERY_WINDOW_SECONDS: positiveInt.default(3600),
  /** Time budget of one window write or read; past it a message goes out without seq. Default 1000. */
  RECOVERY_TIMEOUT_MS: positiveInt.default(1000),

  /** Time budget of one /readyz probe of Redis or Kafka. Default 2000. */
  READY_TIMEOUT_MS: positiveInt.default(2000),
  /** Time budget of one history query. Default 3000. */
  HISTORY_TIMEOUT_MS: positiveInt.default(3000),
  /** Grace period of SIGTERM before the process exits anyway. Default 10000. */
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),
  /** Serve default process metrics (CPU, memory, event-loop lag) on /metrics. Default true. */
  METRICS_DEFAULT: boolFlag.default(true),
});

export const configSchema = z
  .object({
    ...nodeSettings.shape,
    ...kafkaSettings.shape,
    ...databaseSettings.shape,
    ...redisSettings.shape,
  })
  // Runs even when single fields failed, so a bad start lists these problems too.
  .refine((c) => c.AUTH_MODE !== 'jwt' || c.JWT_SECRET !== undefined, {
    path: ['JWT_SECRET'],
    message: 'required when AUTH_MODE=jwt',
    when: () => true,
  })
  // Restated from redisSettings: spreading its shape drops its object-level rule.
  .refine((c) => (c.REDIS_NODES === undefined) !== (c.REDIS_URL === undefined), {
    path: ['REDIS_NODES'],
    message: 'set exactly one of REDIS_NODES (cluster) or REDIS_URL (single node)',
    when: () => true,
  })
  .superRefine((c, ctx) => {
    if (c.AUTH_MODE === 'jwt' && c.JWT_SECRET === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: 'required when AUTH_MODE=jwt',
      });
    }
    if (c.MAX_FRAME_BYTES < c.MAX_BODY_BYTES + 1024) {
      ctx.addIssue({
        code: 'custom',
        path: ['MAX_FRAME_BYTES'],
        message: `must be at least MAX_BODY_BYTES + 1024 (${c.MAX_BODY_BYTES + 1024})`,
      });
    }
    if (c.RATE_LIMIT_BURST < c.RATE_LIMIT_PER_SEC) {
      ctx.addIssue({
        code: 'custom',
        path: ['RATE_LIMIT_BURST'],
        message: 'must be >= RATE_LIMIT_PER_SEC',
      });
    }
  });

export type NodeConfig = z.infer<typeof configSchema>;

/** Parses `env`; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Env): NodeConfig {
  return parseConfig(configSchema, env);
}

/** True when `user` is a well-formed user id (shared by both auth modes and the history API). */
export function isUserId(user: unknown): user is string {
  return typeof user === 'string' && USER_ID_PATTERN.test(user);
}
