import type { Server, Socket } from 'socket.io';
import type { Metrics } from '../metrics.js';

/** uWS `WebSocket.send` results (uWebSockets.js docs/index.d.ts). */
const SEND_DROPPED = 2;

interface UwsSocketLike {
  send(message: unknown, isBinary?: boolean, compress?: boolean): number;
  end(code?: number, reason?: string): void;
  getBufferedAmount(): number;
}

interface TransportLike {
  name: string;
  socket?: { getBufferedAmount?: () => number; bufferedAmount?: number };
}

/** Close code 1013 "Try Again Later" (RFC 6455 registry): the client was too slow to read. */
const CLOSE_SLOW = 1013;

/**
 * Connections already counted as slow. The guard and the sweep can both see one
 * stalled client: when the sweep disconnects it, engine.io writes a close
 * packet that uWS drops too, and the guard fires. Keyed by the socket the
 * transport writes to, the same object for both.
 */
const countedSlow = new WeakSet<object>();

/** Counts a slow-client disconnect once per connection, whoever notices it first. */
export function countSlowDisconnect(connection: object, metrics: Metrics): void {
  if (countedSlow.has(connection)) return;
  countedSlow.add(connection);
  metrics.slowClientDisconnects.inc();
}

/**
 * engine.io's uWS transport ignores the result of `ws.send`, so frames uWS
 * drops past `maxBackpressure` would vanish without a trace (issue 3's traps).
 * This wraps the socket the transport writes to: a dropped frame is counted,
 * and the client, which has now lost a message, is disconnected so it can
 * reconnect and fetch the history instead of staying silently behind.
 */
export function guardUwsSend(ws: UwsSocketLike, metrics: Metrics): UwsSocketLike {
  let closing = false;
  const guarded = new Proxy(ws, {
    get(target, prop) {
      if (prop === 'send') {
        return (message: unknown, isBinary?: boolean, compress?: boolean) => {
          if (closing) return SEND_DROPPED;
          const result = target.send(message, isBinary, compress);
          if (result !== SEND_DROPPED) return result;

          closing = true;
          metrics.backpressureDrops.inc();
          countSlowDisconnect(guarded, metrics);
          // Not from inside engine.io's write loop, which would touch the closed socket.
          setImmediate(() => {
            try {
              target.end(CLOSE_SLOW, 'slow consumer');
            } catch {
              // already closed by the peer
            }
          });
          return result;
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  return guarded;
}

/**
 * Room broadcasts on uWS bypass `send` (native publish), and uWS drops those
 * past `maxBackpressure` too, silently. So every socket's buffered bytes are
 * also checked periodically: over half the limit at two checks in a row, the
 * client is disconnected and counted. Works for both engines (`ws` exposes
 * `bufferedAmount`). Long-polling clients are bounded by engine.io itself.
 */
export function startSlowClientSweep(
  io: Server,
  limitBytes: number,
  everyMs: number,
  metrics: Metrics,
) {
  const strikes = new WeakMap<Socket, number>();
  const timer = setInterval(() => {
    for (const socket of io.of('/').sockets.values()) {
      const transport = socket.conn.transport as unknown as TransportLike;
      if (transport.name !== 'websocket' || transport.socket === undefined) continue;

      const buffered = bufferedBytes(transport.socket);
      if (buffered < limitBytes / 2) {
        strikes.delete(socket);
        continue;
      }
      const count = (strikes.get(socket) ?? 0) + 1;
      strikes.set(socket, count);
      if (count >= 2) {
        countSlowDisconnect(transport.socket, metrics);
        socket.disconnect(true);
      }
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

function bufferedBytes(socket: NonNullable<TransportLike['socket']>): number {
  try {
    return socket.getBufferedAmount?.() ?? socket.bufferedAmount ?? 0;
  } catch {
    return 0; // a uWS socket closed between the check and here
  }
}
