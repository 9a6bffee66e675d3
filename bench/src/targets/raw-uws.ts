/**
 * The ceiling target of `--compare` (issue 5): raw uWebSockets.js pub/sub with no Socket.IO and
 * no Kafka. Rooms are uWS topics; a message is fanned out between nodes over Redis sharded
 * pub/sub (one channel per room, like Parley) and acked as soon as Redis took it. What Parley
 * adds on top (Socket.IO framing, validation, Kafka acks=all, persistence) is exactly what this
 * target leaves out, so Parley / raw says what those guarantees cost.
 *
 * Protocol: one JSON object per text frame, `t` says what it is.
 *   client -> `{t:'join',room}`            server -> `{t:'joined',room}`
 *   client -> `{t:'msg',id,room,body}`     server -> `{t:'ack',id,ts}`, and to every member of
 *                                          room on every node `{t:'msg',id,room,from,body,ts}`
 * Settings: PORT, NODE_ID, REDIS_NODES or REDIS_URL. Serves /readyz and /metrics (RSS and CPU).
 */
import { createRedis, parseConfig, port, redisSettings, type RedisClient } from '@parley/runtime';
import uWS from 'uWebSockets.js';
import { z } from 'zod';

const schema = z.intersection(
  redisSettings,
  z.object({ PORT: port, NODE_ID: z.string().min(1).default('raw') }),
);

interface UserData {
  user: string;
  closed: boolean;
}

const CHANNEL_PREFIX = 'raw:';

export function startRawTarget(
  env: Record<string, string | undefined>,
): Promise<() => Promise<void>> {
  const config = parseConfig(schema, env);
  const publisher = createRedis(config);
  const subscriber = createRedis(config, { shardedSubscribers: true });
  const subscribed = new Set<string>();
  const app = uWS.App();

  subscriber.on('smessage', (channel: string, payload: string) => {
    app.publish(channel.slice(CHANNEL_PREFIX.length), payload);
  });

  app.ws<UserData>('/raw', {
    maxBackpressure: 1024 * 1024,
    upgrade: (res, req, context) => {
      res.upgrade<UserData>(
        { user: req.getQuery('user') ?? 'anonymous', closed: false },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    message: (ws, message) => {
      const frame = JSON.parse(Buffer.from(message).toString()) as {
        t: string;
        room: string;
        id: string;
        body: string;
      };
      if (frame.t === 'join') {
        ws.subscribe(frame.room);
        void ensureSubscribed(subscriber, subscribed, frame.room).then(() => {
          if (!ws.getUserData().closed) ws.send(JSON.stringify({ t: 'joined', room: frame.room }));
        });
      } else if (frame.t === 'msg') {
        const ts = Date.now();
        const { user } = ws.getUserData();
        const payload = JSON.stringify({
          t: 'msg',
          id: frame.id,
          room: frame.room,
          from: user,
          body: frame.body,
          ts,
        });
        void (publisher as unknown as Spublisher)
          .spublish(`${CHANNEL_PREFIX}${frame.room}`, payload)
          .then(() => {
            if (!ws.getUserData().closed) ws.send(JSON.stringify({ t: 'ack', id: frame.id, ts }));
          });
      }
    },
    close: (ws) => {
      ws.getUserData().closed = true;
    },
  });

  app.get('/readyz', (res) => {
    res.end('ok');
  });
  app.get('/metrics', (res) => {
    const cpu = process.cpuUsage();
    res.end(
      [
        '# TYPE process_resident_memory_bytes gauge',
        `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
        '# TYPE process_cpu_seconds_total counter',
        `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`,
        '',
      ].join('\n'),
    );
  });

  return new Promise((resolve, reject) => {
    app.listen('127.0.0.1', config.PORT, (token) => {
      if (token === false) {
        reject(new Error(`raw target could not listen on 127.0.0.1:${config.PORT}`));
        return;
      }
      resolve(async () => {
        uWS.us_listen_socket_close(token);
        publisher.disconnect();
        subscriber.disconnect();
      });
    });
  });
}

/** ioredis types SPUBLISH/SSUBSCRIBE on the command interface; both clients have them. */
interface Spublisher {
  spublish(channel: string, message: string): Promise<number>;
}

async function ensureSubscribed(
  subscriber: RedisClient,
  subscribed: Set<string>,
  room: string,
): Promise<void> {
  if (subscribed.has(room)) return;
  subscribed.add(room);
  await (subscriber as unknown as { ssubscribe(channel: string): Promise<unknown> }).ssubscribe(
    `${CHANNEL_PREFIX}${room}`,
  );
}

// Run as a process: `node bench/dist/targets/raw-uws.js` with the settings in the environment.
if (import.meta.url === `file://${process.argv[1]}`) {
  const stop = await startRawTarget(process.env);
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
  process.once('SIGINT', () => void stop().then(() => process.exit(0)));
}
