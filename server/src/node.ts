import {
  STATUS_CODES,
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
} from 'node:http';
import {
  createLogger,
  createPgPool,
  createRedis,
  redactConfig,
  type Logger,
  type RedisClient,
} from '@parley/runtime';
import { Cluster } from 'ioredis';
import { Server, type ServerOptions } from 'socket.io';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { createAuthenticator } from './chat/auth.js';
import { registerChat } from './chat/handlers.js';
import type { NodeConfig } from './config.js';
import { guardUwsSend, startSlowClientSweep } from './engine/slow-clients.js';
import { loadUws, type UwsModule } from './engine/uws.js';
import {
  createFanoutAdapter,
  guardSubscriptions,
  installBroadcast,
  subscriptionReady,
} from './fanout/adapter.js';
import { route, type HttpRequestInfo, type RouteDeps } from './http/routes.js';
import { registerWebRoutes } from './http/web.js';
import { ChatProducer } from './kafka/producer.js';
import { ConnectionsPerAddress, remoteAddress, type EngineSocket } from './engine/per-address.js';
import { createMetrics, type Metrics } from './metrics.js';
import { RecentWindow } from './recovery/window.js';
import { withTimeout } from './timeout.js';

export interface ChatNode {
  /** The port actually listened on (useful with PORT=0). */
  port: number;
  metrics: Metrics;
  io: Server;
  /** Stops accepting, flushes the producer, closes sockets and clients. Idempotent. */
  close(): Promise<void>;
}

/** A start-up refusal with a stable code (the process exits non-zero with its message). */
export class StartupError extends Error {
  constructor(
    readonly code: 'UWS_FALLBACK' | 'LISTEN_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

/**
 * Starts one chat node. Both engines share everything but the transport:
 * `uws` attaches Socket.IO to a uWebSockets.js App, `node` to node:http + ws.
 * Several `uws` nodes may share one process (tests); `uws` and `node` nodes
 * may not, because socket.io's `attachApp` patches the shared in-memory
 * adapter's join/leave to subscribe uWS topics.
 */
export async function startNode(config: NodeConfig, parentLog?: Logger): Promise<ChatNode> {
  const base = parentLog ?? createLogger({ service: 'chat-node', node: config.NODE_ID });
  const log = base.child({ component: 'node' });
  const metrics = createMetrics(config.NODE_ID, config.METRICS_DEFAULT);

  // 1. Engine binary: refuse uWS's silent JavaScript fallback unless asked for.
  let uws: UwsModule | undefined;
  if (config.ENGINE === 'uws') {
    const loaded = loadUws();
    metrics.uwsNative.set(loaded.native ? 1 : 0);
    if (!loaded.native && !config.UWS_ALLOW_FALLBACK) {
      throw new StartupError(
        'UWS_FALLBACK',
        'uWebSockets.js native binary did not load; set UWS_ALLOW_FALLBACK=true to run on the slow JavaScript fallback',
      );
    }
    log.info({ binary: loaded.binary, native: loaded.native }, 'uWebSockets.js loaded');
    uws = loaded.uws;
  }

  // 2. Redis clients for fan-out; the subscriber routes SSUBSCRIBE to each slot's master.
  const pub = createRedis(config);
  // Every accepted message costs an XADD and a PEXPIRE on this client (recovery/window.ts);
  // auto-pipelining sends the commands of one tick to each master as one write. ioredis reads
  // the option per command, so it can be set on the client runtime's createRedis returned.
  // Measured with server/scripts/throughput.mjs: docs/server.md, "Recovery cost".
  pub.options.enableAutoPipelining = true;
  const sub = createRedis(config, { shardedSubscribers: config.REDIS_ADAPTER === 'sharded' });
  guardSubscriptions(sub, (command, err) => {
    log.warn({ command, err: err.message }, 'redis subscription failed');
  });
  for (const [role, client] of [
    ['publisher', pub],
    ['subscriber', sub],
  ] as const) {
    client.on('error', (err: Error) => log.warn({ role, err: err.message }, 'redis error'));
  }

  // 3. Socket.IO with the protection settings that belong to the engine.
  const allowOrigin = originPolicy(config.ALLOWED_ORIGINS);
  const options: Partial<ServerOptions> = {
    serveClient: false,
    transports: ['polling', 'websocket'],
    maxHttpBufferSize: config.MAX_FRAME_BYTES,
    perMessageDeflate: false,
    cors: { origin: config.ALLOWED_ORIGINS.includes('*') ? true : config.ALLOWED_ORIGINS },
    adapter: createFanoutAdapter(config.REDIS_ADAPTER, pub, sub, config.REDIS_CHANNEL_PREFIX),
    allowRequest: (req, callback) => {
      if (io.engine.clientsCount >= config.MAX_CONNECTIONS) {
        metrics.connectionsRefused.inc({ reason: 'capacity' });
        return callback('node at MAX_CONNECTIONS', false);
      }
      if (!perIp.admits(remoteAddress(req))) {
        metrics.connectionsRefused.inc({ reason: 'per_ip' });
        return callback('too many connections from this address', false);
      }
      callback(null, true);
    },
  };
  const perIp = new ConnectionsPerAddress(config.MAX_CONNECTIONS_PER_IP);
  const io = new Server(options);

  // 4. Kafka producer and PostgreSQL pool (history), then the chat protocol.
  const producer = new ChatProducer({
    settings: config,
    nodeId: config.NODE_ID,
    lingerMs: config.PRODUCER_LINGER_MS,
    maxBatch: config.PRODUCER_BATCH_MAX,
    maxPending: config.PRODUCER_MAX_PENDING,
    ackTimeoutMs: config.ACK_TIMEOUT_MS,
    metrics,
    log: base.child({ component: 'producer' }),
  });
  producer.start();
  const pool = createPgPool(config, `parley-${config.NODE_ID}`);
  pool.on('error', (err) => log.warn({ err: err.message }, 'postgres pool error'));
  const authenticate = createAuthenticator(config.AUTH_MODE, config.JWT_SECRET);
  registerChat({
    io,
    authenticate,
    producer,
    metrics,
    log: base.child({ component: 'chat' }),
    maxBodyBytes: config.MAX_BODY_BYTES,
    ratePerSec: config.RATE_LIMIT_PER_SEC,
    rateBurst: config.RATE_LIMIT_BURST,
    broadcastAfterKafka: config.BROADCAST_AFTER_KAFKA,
    recovery:
      config.RECOVERY_WINDOW_MESSAGES === 0
        ? undefined
        : new RecentWindow({
            redis: pub,
            prefix: config.REDIS_CHANNEL_PREFIX,
            maxMessages: config.RECOVERY_WINDOW_MESSAGES,
            ttlSeconds: config.RECOVERY_WINDOW_SECONDS,
            timeoutMs: config.RECOVERY_TIMEOUT_MS,
            subscribed: subscriptionReady(io, config.REDIS_ADAPTER, sub),
          }),
  });

  const routeDeps: RouteDeps = {
    metrics,
    pool,
    authenticate: config.AUTH_MODE === 'jwt' ? authenticate : undefined,
    readiness: () => readiness(pub, sub, producer, config.READY_TIMEOUT_MS),
    historyTimeoutMs: config.HISTORY_TIMEOUT_MS,
  };
  const serve = (req: HttpRequestInfo) =>
    route(req, routeDeps).catch((error: unknown) => {
      log.error({ err: error }, 'http handler failed');
      return { status: 500, contentType: 'application/json', body: '{"error":"internal"}' };
    });

  // 5. Attach the engine, check origins on every handshake, poll and upgrade, and listen.
  const listener =
    uws === undefined
      ? await listenNode(io, config, serve, metrics)
      : await listenUws(uws, io, config, serve, metrics);
  io.engine.use((req: IncomingMessage, _res: unknown, next: (err?: Error) => void) => {
    if (allowOrigin(req.headers.origin)) return next();
    metrics.connectionsRefused.inc({ reason: 'origin' });
    next(new Error('origin not allowed'));
  });
  // allowRequest runs only on a handshake; a session counts from its creation to its close.
  io.engine.on('connection', (raw: EngineSocket) => {
    perIp.opened(raw.remoteAddress);
    raw.once('close', () => perIp.closed(raw.remoteAddress));
  });
  const stopSweep = startSlowClientSweep(
    io,
    config.MAX_BACKPRESSURE_BYTES,
    config.SLOW_CLIENT_CHECK_MS,
    metrics,
  );
  log.info(
    { port: listener.port, engine: config.ENGINE, config: redactConfig(config) },
    'chat node listening',
  );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // Stop accepting, let queued messages reach Kafka (and their acks the
      // clients), then drop the sockets and the backing clients.
      listener.stopListening();
      stopSweep();
      await producer.close();
      await io.close().catch(() => undefined);
      listener.closeAll();
      await Promise.allSettled([pub.quit(), sub.quit(), pool.end()]);
      log.info('chat node closed');
    })();
    return closing;
  };
  return { port: listener.port, metrics, io, close };
}

interface Listener {
  port: number;
  stopListening(): void;
  closeAll(): void;
}

type Serve = (
  req: HttpRequestInfo,
) => Promise<{ status: number; contentType: string; body: string }>;

async function listenUws(
  uws: UwsModule,
  io: Server,
  config: NodeConfig,
  serve: Serve,
  metrics: Metrics,
): Promise<Listener> {
  const app = uws.App();
  // socket.io's attachApp gives no hook on the websocket behaviour; a proxy
  // adds the back-pressure limit and wraps each socket's `send` (slow-clients.ts).
  io.attachApp(withWsBehaviour(app, config.MAX_BACKPRESSURE_BYTES, metrics));
  // In the same tick as attachApp: another node of this process may attach next.
  installBroadcast(io, 'uws', (n) => metrics.delivered.inc(n));

  const handler = (res: HttpResponse, req: HttpRequest) => {
    const info: HttpRequestInfo = {
      method: req.getMethod().toUpperCase(),
      path: req.getUrl(),
      query: new URLSearchParams(req.getQuery() ?? ''),
      authorization: req.getHeader('authorization') || undefined,
    };
    let aborted = false;
    res.onAborted(() => (aborted = true));
    void serve(info).then((reply) => {
      if (aborted) return;
      res.cork(() => {
        res.writeStatus(`${reply.status} ${STATUS_CODES[reply.status] ?? ''}`);
        res.writeHeader('content-type', reply.contentType);
        res.end(reply.body);
      });
    });
  };
  registerWebRoutes(app);
  app.any('/*', handler);

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(config.HOST, config.PORT, (socket) => {
      if (socket === false)
        reject(new StartupError('LISTEN_FAILED', `cannot listen on ${config.HOST}:${config.PORT}`));
      else resolve(socket);
    });
  });
  return {
    port: uws.us_socket_local_port(listenSocket),
    stopListening: () => uws.us_listen_socket_close(listenSocket),
    closeAll: () => (app as TemplatedApp & { close?: () => void }).close?.(),
  };
}

function withWsBehaviour(
  app: TemplatedApp,
  maxBackpressureBytes: number,
  metrics: Metrics,
): TemplatedApp {
  const proxy: TemplatedApp = new Proxy(app, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (prop === 'ws')
          args[1] = wrapBehaviour(args[1] as Behaviour, maxBackpressureBytes, metrics);
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        return result === target ? proxy : result; // keep chained calls on the proxy
      };
    },
  });
  return proxy;
}

interface Behaviour {
  open?: (ws: WsWithTransport) => void;
  [key: string]: unknown;
}

interface WsWithTransport {
  getUserData(): { transport: { socket: unknown } };
}

function wrapBehaviour(
  behaviour: Behaviour,
  maxBackpressureBytes: number,
  metrics: Metrics,
): Behaviour {
  const open = behaviour.open;
  return {
    ...behaviour,
    maxBackpressure: maxBackpressureBytes,
    closeOnBackpressureLimit: false,
    open: (ws: WsWithTransport) => {
      open?.(ws);
      const transport = ws.getUserData().transport;
      transport.socket = guardUwsSend(
        transport.socket as Parameters<typeof guardUwsSend>[0],
        metrics,
      );
    },
  };
}

async function listenNode(
  io: Server,
  config: NodeConfig,
  serve: Serve,
  metrics: Metrics,
): Promise<Listener> {
  const server: HttpServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const info: HttpRequestInfo = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
    };
    void serve(info).then((reply) => {
      res.writeHead(reply.status, { 'content-type': reply.contentType });
      res.end(reply.body);
    });
  });
  io.attach(server);
  installBroadcast(io, 'node', (n) => metrics.delivered.inc(n));

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new StartupError('LISTEN_FAILED', err.message)));
    server.listen(config.PORT, config.HOST, resolve);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : config.PORT,
    stopListening: () => server.close(),
    closeAll: () => server.closeAllConnections(),
  };
}

/** Why the node cannot serve (Redis or Kafka unusable), or undefined. */
async function readiness(
  pub: RedisClient,
  sub: RedisClient,
  producer: ChatProducer,
  timeoutMs: number,
) {
  const redis = (async () => {
    if (pub.status !== 'ready' || sub.status !== 'ready')
      return `redis: ${pub.status}/${sub.status}`;
    // In a cluster every slot must be served: one PING would be answered by any
    // live master while the rooms hashed to a dead one get nothing (fault suite).
    // ioredis drops a dead master from its pool, so ask the cluster itself too.
    const targets = pub instanceof Cluster ? pub.nodes('master') : [pub];
    try {
      await withTimeout(Promise.all(targets.map((node) => node.ping())), timeoutMs);
      if (pub instanceof Cluster) {
        const info = await withTimeout(pub.cluster('INFO'), timeoutMs);
        const state = /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
        if (state !== 'ok') return `redis: cluster_state:${state}`;
      }
      return undefined;
    } catch (error) {
      return `redis: ${(error as Error).message}`;
    }
  })();
  const reasons = await Promise.all([redis, producer.probe(timeoutMs)]);
  const failing = reasons.filter((r) => r !== undefined);
  return failing.length === 0 ? undefined : failing.join('; ');
}

/** `*` allows every origin; otherwise exact matches. No Origin header = not a browser: allowed. */
function originPolicy(allowed: string[]): (origin: string | undefined) => boolean {
  if (allowed.includes('*')) return () => true;
  const set = new Set(allowed);
  return (origin) => origin === undefined || set.has(origin);
}
